import { WebIO } from '@gltf-transform/core';
import { REQUIRED_MORPH_TARGETS } from '@aico/avatar-protocol';
import { buildDefaultAvatarGlb, MORPH_TARGETS } from './generate-default-avatar.mjs';

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

  it('names its morph targets exactly as the avatar page requires (the Ready Player Me names)', async () => {
    expect([...MORPH_TARGETS].sort()).toEqual([...REQUIRED_MORPH_TARGETS].sort());
    const doc = await new WebIO().readBinary(glb);
    const face = doc.getRoot().listMeshes().find((mesh) => mesh.getName() === 'Wolf3D_Head')!;
    expect((face.getExtras() as { targetNames: string[] }).targetNames).toEqual(MORPH_TARGETS);
    for (const primitive of face.listPrimitives()) expect(primitive.listTargets()).toHaveLength(MORPH_TARGETS.length);
  });

  it('gives every morph target but viseme_sil a visible movement, and opens the jaw downwards', async () => {
    const doc = await new WebIO().readBinary(glb);
    const face = doc.getRoot().listMeshes().find((mesh) => mesh.getName() === 'Wolf3D_Head')!;
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
          if (name === 'jawOpen') jawDown = Math.min(jawDown, dy);
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
    expect(nodes.map((node) => node.getName())).toEqual(expect.arrayContaining(['AvatarRoot', 'Head', 'Wolf3D_Head', 'Wolf3D_Hair', 'EyeLeft', 'EyeRight', 'Wolf3D_Body', 'Wolf3D_Outfit_Top']));
    const skin = doc.getRoot().listMeshes().find((mesh) => mesh.getName() === 'Wolf3D_Head')!.listPrimitives()[0]!.getAttribute('POSITION')!;
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
