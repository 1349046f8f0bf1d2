// The avatar's place in the app. The avatar issue fills it with the embeddable 3D avatar; until then it says so.
export function AvatarPanel() {
  return (
    <section className="page">
      <h1>Avatar</h1>
      <div className="card empty-state">
        <svg viewBox="0 0 64 64" width="96" height="96" aria-hidden="true">
          <circle cx="32" cy="24" r="12" className="empty-figure" />
          <path d="M10 58c2-12 11-18 22-18s20 6 22 18" className="empty-figure" />
        </svg>
        <p>
          <strong>No avatar yet</strong>
        </p>
        <p className="hint">When an avatar is installed, it appears here and speaks with you.</p>
      </div>
    </section>
  );
}
