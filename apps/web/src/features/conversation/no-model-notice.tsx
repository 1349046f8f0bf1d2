// The clear state when no model is installed: nothing can answer yet. Admins are sent to the Models page; others are
// told whom to ask.
import { Link } from 'react-router';
import { useAppState } from '../../app/app-context';

export function NoModelNotice() {
  const admin = useAppState((state) => state.session?.user.role === 'admin');
  return (
    <div role="status" className="card notice no-model" data-testid="no-model">
      <p>
        <strong>No language model is installed</strong>, so aico cannot answer yet.
      </p>
      {admin ? (
        <p>
          Import or pull one on the <Link to="/models">Models page</Link>.
        </p>
      ) : (
        <p className="hint">Ask an administrator of this machine to install one.</p>
      )}
    </div>
  );
}
