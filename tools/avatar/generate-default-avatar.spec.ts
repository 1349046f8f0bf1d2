import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Document, type Primitive, WebIO } from '@gltf-transform/core';
import { REQUIRED_MORPH_TARGETS } from '@aico/avatar-protocol';
import { buildDefaultAvatarGlb, MORPH_TARGETS } from './generate-default-avatar.mjs';

type Vec3 = [number, number, number];

/** A primitive's vertex positions with the named morph targets applied at the given weights. */
function posed(primitive: Primitive, weights: Record<string, number>): Vec3[] {
  const base = primitive.getAttribute('POSITION')!;
  const targets = primitive.listTargets();
  return Array.from({ length: base.getCount() }, (_, i) => {
    const p: Vec3 = [0, 0, 0];
    base.getElement(i, p);
    for (const [name, weight] of Object.entries(weights)) {
      const d: Vec3 = [0, 0, 0];
      targets[MORPH_TARGETS.indexOf(name)]!.getAttribute('POSITION')!.getElement(i, d);
      p[0] += weight * d[0];
      p[1] += weight * d[1];
      p[2] += weight * d[2];
    }
    return p;
  });
}

/** Whether a ray along -Z through (x, y) meets a triangle of the mesh in front of depth z. */
function coveredAt(points: Vec3[], indices: ArrayLike<number>, x: number, y: number, z: number): boolean {
  for (let t = 0; t < indices.length; t += 3) {
    const [a, b, c] = [points[indices[t]!]!, points[indices[t + 1]!]!, points[indices[t + 2]!]!];
    const area = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]);
    if (area === 0) continue;
    const u = ((b[0] - x) * (c[1] - y) - (c[0] - x) * (b[1] - y)) / area;
    const v = ((c[0] - x) * (a[1] - y) - (a[0] - x) * (c[1] - y)) / area;
    const w = 1 - u - v;
    if (u >= 0 && v >= 0 && w >= 0 && u * a[2] + v * b[2] + w * c[2] > z) return true;
  }
  return false;
}

function eyelidsOf(doc: Document): Primitive {
  const face = doc
    .getRoot()
    .listMeshes()
    .find((mesh) => mesh.getName() === 'Wolf3D_Head')!;
  return face.listPrimitives().find((primitive) => primitive.getMaterial()?.getName() === 'Eyelids')!;
}

describe('the default avatar generator', () => {
  let glb: Uint8Array;
  beforeAll(async () => {
    glb = await buildDefaultAvatarGlb();
  });

  it('writes a binary glTF 2.0 file, the same bytes every time, under 2 MB', async () => {
    const header = Buffer.from(glb.buffer, glb.byteOffset, 12);
    expect(header.toString('ascii', 0, 4)).toBe('glTF');
    expect(header.readUInt32LE(4)).toBe(2);
    expect(header.readUInt32LE(8)).toBe(glb.length);
    expect(Buffer.from(await buildDefaultAvatarGlb()).equals(Buffer.from(glb))).toBe(true);
    expect(glb.length).toBeLessThan(2 * 1024 * 1024);
  });

  it('writes the same file from the command line, which reads back as glTF', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aico-avatar-'));
    try {
      const out = join(dir, 'avatar.glb');
      const printed = execFileSync(process.execPath, [join(__dirname, 'generate-default-avatar.mjs'), out], { encoding: 'utf8' });
      expect(printed).toMatch(/Wrote .*avatar\.glb: \d+\.\d KiB/);
      const written = readFileSync(out);
      expect(written.equals(Buffer.from(glb))).toBe(true);
      // WebIO, not NodeIO: NodeIO loads fs through a dynamic import, which Jest's CommonJS sandbox refuses.
      const doc = await new WebIO().readBinary(new Uint8Array(written));
      expect(
        doc
          .getRoot()
          .listNodes()
          .map((node) => node.getName()),
      ).toEqual(expect.arrayContaining(['EyeLeft', 'EyeRight']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closes each eye with its blink, without the lid sinking into the eyeball on the way', async () => {
    const doc = await new WebIO().readBinary(glb);
    const lids = eyelidsOf(doc);
    const indices = lids.getIndices()!.getArray()!;
    for (const [eye, blink, other] of [
      ['EyeLeft', 'eyeBlinkLeft', 'EyeRight'],
      ['EyeRight', 'eyeBlinkRight', 'EyeLeft'],
    ] as const) {
      const node = doc
        .getRoot()
        .listNodes()
        .find((candidate) => candidate.getName() === eye)!;
      const [cx, cy, cz] = node.getTranslation();
      const radius = node.getMesh()!.listPrimitives()[0]!.getAttribute('POSITION')!.getMax([])[0]!;
      const otherEye = doc
        .getRoot()
        .listNodes()
        .find((candidate) => candidate.getName() === other)!
        .getTranslation();
      const heights = [-0.6, -0.3, 0, 0.3, 0.6].map((k) => cy + k * radius);
      // Open, the pupil shows; closed, the lid covers the eye's front from above the iris to below it.
      expect(coveredAt(posed(lids, {}), indices, cx, cy, cz)).toBe(false);
      const closed = posed(lids, { [blink]: 1 });
      for (const y of heights) expect([eye, y, coveredAt(closed, indices, cx, y, cz)]).toEqual([eye, y, true]);
      // The other eye stays open.
      expect(coveredAt(closed, indices, otherEye[0], otherEye[1], otherEye[2])).toBe(false);
      // Morphs interpolate linearly: every in-between pose of the lids must stay outside the eyeball.
      for (let step = 1; step < 10; step++) {
        const nearest = Math.min(...posed(lids, { [blink]: step / 10 }).map(([x, y, z]) => Math.hypot(x - cx, y - cy, z - cz)));
        expect([eye, step, nearest > radius * 1.02]).toEqual([eye, step, true]);
      }
    }
  });

  it('names its morph targets exactly as the avatar page requires (the Ready Player Me names)', async () => {
    expect([...MORPH_TARGETS].sort()).toEqual([...REQUIRED_MORPH_TARGETS].sort());
    const doc = await new WebIO().readBinary(glb);
    const face = doc
      .getRoot()
      .listMeshes()
      .find((mesh) => mesh.getName() === 'Wolf3D_Head')!;
    expect((face.getExtras() as { targetNames: string[] }).targetNames).toEqual(MORPH_TARGETS);
    for (const primitive of face.listPrimitives()) expect(primitive.listTargets()).toHaveLength(MORPH_TARGETS.length);
  });

  it('gives every morph target but viseme_sil a visible movement, and the open mouth drops the chin', async () => {
    const doc = await new WebIO().readBinary(glb);
    const face = doc
      .getRoot()
      .listMeshes()
      .find((mesh) => mesh.getName() === 'Wolf3D_Head')!;
    const largest = new Map<string, number>();
    let jawDown = 0;
    for (const primitive of face.listPrimitives()) {
      const base = primitive.getAttribute('POSITION')!;
      primitive.listTargets().forEach((target, index) => {
        const name = MORPH_TARGETS[index]!;
        const delta = target.getAttribute('POSITION')!;
        expect(delta.getCount()).toBe(base.getCount());
        for (let i = 0; i < delta.getCount(); i++) {
          const [dx = 0, dy = 0, dz = 0] = delta.getElement(i, []);
          largest.set(name, Math.max(largest.get(name) ?? 0, Math.hypot(dx, dy, dz)));
          if (name === 'jawOpen' || name === 'viseme_aa') jawDown = Math.min(jawDown, dy);
        }
      });
    }
    for (const name of MORPH_TARGETS) {
      if (name === 'viseme_sil') expect(largest.get(name)).toBe(0);
      else expect([name, largest.get(name)! > 0.001]).toEqual([name, true]);
    }
    expect(jawDown).toBeLessThan(-0.01);
  });

  it('has a head about 20 cm tall centred near 1.6 m, and two eyes the page can turn', async () => {
    const doc = await new WebIO().readBinary(glb);
    const nodes = doc.getRoot().listNodes();
    expect(nodes.map((node) => node.getName())).toEqual(
      expect.arrayContaining(['AvatarRoot', 'Head', 'Wolf3D_Head', 'Wolf3D_Hair', 'EyeLeft', 'EyeRight', 'Wolf3D_Body', 'Wolf3D_Outfit_Top']),
    );
    const skin = doc
      .getRoot()
      .listMeshes()
      .find((mesh) => mesh.getName() === 'Wolf3D_Head')!
      .listPrimitives()[0]!
      .getAttribute('POSITION')!;
    const [min, max] = [skin.getMin([]), skin.getMax([])] as [number[], number[]];
    expect(max[1]! - min[1]!).toBeGreaterThan(0.18);
    expect(max[1]! - min[1]!).toBeLessThan(0.26);
    expect((max[1]! + min[1]!) / 2).toBeCloseTo(1.6, 1);
    const left = nodes.find((node) => node.getName() === 'EyeLeft')!.getTranslation();
    const right = nodes.find((node) => node.getName() === 'EyeRight')!.getTranslation();
    expect(left[0]).toBeGreaterThan(0);
    expect(right[0]).toBeLessThan(0);
  });
});
