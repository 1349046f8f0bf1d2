#!/usr/bin/env node
// aico's default avatar, made here instead of fetched (Ready Player Me is an online service; nothing may be fetched
// at run time): a stylised head and shoulders built from parametric shapes, written as binary glTF with
// @gltf-transform/core. Its morph targets carry the names Ready Player Me avatars use — the Oculus visemes and the
// ARKit blend shapes the expressions need — so a user's own RPM-style GLB works the same way. Deterministic: the
// same bytes on every run (no randomness, no timestamps).
//
//   node tools/avatar/generate-default-avatar.mjs <out.glb>
//
// The avatar page's build (apps/avatar/vite.config.ts) calls buildDefaultAvatarGlb() and ships the result.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Document, WebIO } from '@gltf-transform/core';
import { cap, cylinder, disc, ellipsoid, frontCap, merge, strip } from './shapes.mjs';

export const VISEMES = ['sil', 'PP', 'FF', 'TH', 'DD', 'kk', 'CH', 'SS', 'nn', 'RR', 'aa', 'E', 'I', 'O', 'U'];
export const EXPRESSION_MORPHS = [
  'eyeBlinkLeft',
  'eyeBlinkRight',
  'eyeWideLeft',
  'eyeWideRight',
  'eyeSquintLeft',
  'eyeSquintRight',
  'browInnerUp',
  'browDownLeft',
  'browDownRight',
  'browOuterUpLeft',
  'browOuterUpRight',
  'mouthSmileLeft',
  'mouthSmileRight',
  'mouthFrownLeft',
  'mouthFrownRight',
  'mouthPucker',
  'mouthFunnel',
  'jawOpen',
  'cheekSquintLeft',
  'cheekSquintRight',
];
export const MORPH_TARGETS = [...VISEMES.map((viseme) => `viseme_${viseme}`), ...EXPRESSION_MORPHS];

// Layout, in metres, glTF axes (Y up, the face looks along +Z). The head's centre sits where RPM half-body avatars
// have it.
const HEAD = { x: 0, y: 1.6, z: 0, rx: 0.086, ry: 0.11, rz: 0.095 };
const MOUTH = { y: HEAD.y - 0.052, z: HEAD.z + 0.082, halfWidth: 0.024 };
// The eyeballs sit a little proud of the face (a stylised look), so they read at thumbnail size.
const EYE = { x: 0.033, y: HEAD.y + 0.014, z: HEAD.z + 0.079, r: 0.0145 };
const BROW = { y: EYE.y + 0.027, z: EYE.z + 0.012 };

const COLOURS = {
  skin: [0.93, 0.71, 0.58, 1],
  lid: [0.9, 0.67, 0.55, 1],
  hair: [0.23, 0.15, 0.11, 1],
  brow: [0.2, 0.13, 0.1, 1],
  mouth: [0.32, 0.07, 0.09, 1],
  eyeWhite: [0.96, 0.96, 0.95, 1],
  iris: [0.18, 0.32, 0.52, 1],
  pupil: [0.03, 0.03, 0.04, 1],
  top: [0.29, 0.36, 0.72, 1],
};

// ---- the face's deformations: each morph target is a displacement field over the head's region ----

const smooth = (edge0, edge1, x) => {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
};
const bump = (dx, dy, dz, radius) => Math.exp(-(dx * dx + dy * dy + dz * dz) / (radius * radius));
/** How much of the face's front a point is in (0 at the sides and back). */
const front = (p) => smooth(HEAD.z + 0.02, HEAD.z + 0.07, p[2]);

/** The jaw drops: everything below the lips in the front of the face, most at the chin. */
function jaw(p, amount) {
  const below = smooth(MOUTH.y + 0.002, MOUTH.y - 0.03, p[1]) * front(p) * smooth(0.065, 0.02, Math.abs(p[0]));
  return [0, -0.022 * amount * below, -0.006 * amount * below];
}
/** The lips part (upper lip up a little, lower lip down), near the mouth only. */
function open(p, amount) {
  const near = bump(p[0] / 1.6, p[1] - MOUTH.y, p[2] - MOUTH.z, 0.02) * front(p);
  const sign = p[1] >= MOUTH.y ? 0.25 : -1;
  return [0, 0.007 * amount * sign * near, 0];
}
/** The mouth widens (positive) or narrows towards its centre (negative). */
function widen(p, amount) {
  const near = bump(p[0] / 1.5, p[1] - MOUTH.y, p[2] - MOUTH.z, 0.026) * front(p);
  return [0.28 * amount * p[0] * near, 0, 0];
}
/** The lips push forward (pucker, funnel, rounded vowels). */
function forward(p, amount) {
  const near = bump(p[0] / 1.3, (p[1] - MOUTH.y) * 1.3, p[2] - MOUTH.z, 0.02) * front(p);
  return [-0.2 * amount * p[0] * near, 0, 0.008 * amount * near];
}
/** One mouth corner up (smile, positive) or down (frown, negative). */
function corner(p, side, amount) {
  const near = bump(p[0] - side * MOUTH.halfWidth, p[1] - MOUTH.y, p[2] - (MOUTH.z - 0.008), 0.018) * front(p);
  return [0.004 * side * Math.abs(amount) * near, 0.008 * amount * near, 0];
}
/** A cheek rises (cheek squint), pushing the lower lid up a little. */
function cheek(p, side, amount) {
  const near = bump(p[0] - side * 0.045, p[1] - (MOUTH.y + 0.035), p[2] - (HEAD.z + 0.065), 0.02) * front(p);
  return [0, 0.006 * amount * near, 0.002 * amount * near];
}

const add = (...deltas) => deltas.reduce((sum, d) => [sum[0] + d[0], sum[1] + d[1], sum[2] + d[2]], [0, 0, 0]);
const none = () => [0, 0, 0];

/** Skin, mouth and brows deform with the face; the lids and brows also have morphs of their own (below). */
const FACE = {
  viseme_sil: none,
  viseme_PP: (p) => add(widen(p, -0.1), open(p, -0.4), forward(p, 0.2)),
  viseme_FF: (p) => add(jaw(p, 0.15), open(p, 0.3)),
  viseme_TH: (p) => add(jaw(p, 0.25), open(p, 0.5)),
  viseme_DD: (p) => add(jaw(p, 0.3), open(p, 0.6), widen(p, 0.1)),
  viseme_kk: (p) => add(jaw(p, 0.35), open(p, 0.6)),
  viseme_CH: (p) => add(jaw(p, 0.2), open(p, 0.5), forward(p, 0.6), widen(p, -0.2)),
  viseme_SS: (p) => add(jaw(p, 0.1), open(p, 0.4), widen(p, 0.35)),
  viseme_nn: (p) => add(jaw(p, 0.2), open(p, 0.5)),
  viseme_RR: (p) => add(jaw(p, 0.25), open(p, 0.5), forward(p, 0.4), widen(p, -0.2)),
  viseme_aa: (p) => add(jaw(p, 1), open(p, 1), widen(p, 0.1)),
  viseme_E: (p) => add(jaw(p, 0.45), open(p, 0.8), widen(p, 0.45)),
  viseme_I: (p) => add(jaw(p, 0.2), open(p, 0.6), widen(p, 0.6)),
  viseme_O: (p) => add(jaw(p, 0.6), open(p, 0.9), widen(p, -0.45), forward(p, 0.6)),
  viseme_U: (p) => add(jaw(p, 0.25), open(p, 0.5), widen(p, -0.65), forward(p, 1)),
  jawOpen: (p) => add(jaw(p, 1), open(p, 0.8)),
  mouthSmileLeft: (p) => corner(p, 1, 1),
  mouthSmileRight: (p) => corner(p, -1, 1),
  mouthFrownLeft: (p) => corner(p, 1, -1),
  mouthFrownRight: (p) => corner(p, -1, -1),
  mouthPucker: (p) => add(forward(p, 1), widen(p, -0.6)),
  mouthFunnel: (p) => add(forward(p, 0.8), open(p, 0.6), widen(p, -0.3)),
  cheekSquintLeft: (p) => cheek(p, 1, 1),
  cheekSquintRight: (p) => cheek(p, -1, 1),
};

/** The avatar's left is +X (it faces +Z, towards the viewer). */
const sideOf = (p) => (p[0] >= 0 ? 1 : -1);

// ---- the eyelids: shells around each eyeball, posed by where their edges are rather than by a displacement ----
//
// Angles in degrees around the eye's X axis, 0 straight up, 90 straight ahead, 180 straight down. The iris covers
// 57-123. A morph target interpolates linearly, so a lid sweeping over the eye cuts the chord of its arc; the closed
// lid stands further out (bulge) and meets a rising lower lid halfway, so every in-between pose stays outside the
// eyeball (the spec checks this) instead of sinking into it.
const LID_REST = { upper: 60, lower: 130, bulge: 0 };
const LID_POSES = {
  eyeBlink: { upper: 114, lower: 110, bulge: 0.1 },
  eyeWide: { upper: 47 },
  eyeSquint: { upper: 68, lower: 118 },
  cheekSquint: { lower: 122 },
};
const UPPER_RADIUS = 1.1;
const LOWER_RADIUS = 1.07;

/** A shell around an eye: rows from angle `from` to `to`, each an arc from one eye corner to the other. */
function lidShell({ centre, radius, from, to, bulge = 0, rows = 8, columns = 18 }) {
  const positions = [];
  const normals = [];
  const indices = [];
  for (let row = 0; row <= rows; row++) {
    const t = row / rows;
    const beta = ((from + (to - from) * t) * Math.PI) / 180;
    // The bulge grows towards the edge (`to`), where the lid travels furthest.
    const r = radius * (1 + bulge * t);
    for (let column = 0; column <= columns; column++) {
      const psi = (((column / columns) * 2 - 1) * 88 * Math.PI) / 180;
      const unit = [Math.sin(psi), Math.cos(psi) * Math.cos(beta), Math.cos(psi) * Math.sin(beta)];
      positions.push(centre[0] + unit[0] * r, centre[1] + unit[1] * r, centre[2] + unit[2] * r);
      normals.push(...unit);
    }
  }
  // Outward-facing triangles whichever way the rows run.
  const flip = to < from;
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const a = row * (columns + 1) + column;
      const b = a + columns + 1;
      if (flip) indices.push(a, a + 1, b, b, a + 1, b + 1);
      else indices.push(a, b, a + 1, b, b + 1, a + 1);
    }
  }
  return { positions, normals, indices };
}

/** Both eyes' upper and lower lids, each eye in its own pose ({ upper, lower, bulge }, LID_REST where unset). */
function lidGeometry(left = LID_REST, right = LID_REST) {
  return merge(
    ...[
      [1, left],
      [-1, right],
    ].flatMap(([side, pose]) => {
      const { upper, lower, bulge } = { ...LID_REST, ...pose };
      const centre = [side * EYE.x, EYE.y, EYE.z];
      return [
        lidShell({ centre, radius: EYE.r * UPPER_RADIUS, from: 0, to: upper, bulge }),
        lidShell({ centre, radius: EYE.r * LOWER_RADIUS, from: 200, to: lower, rows: 6 }),
      ];
    }),
  );
}

/** The lids' morph targets: the difference between a posed eye and the resting one. */
function lidTargets() {
  const rest = lidGeometry();
  return MORPH_TARGETS.map((name) => {
    const match = /^(eyeBlink|eyeWide|eyeSquint|cheekSquint)(Left|Right)$/.exec(name);
    if (!match) return [name, new Array(rest.positions.length).fill(0)];
    const pose = LID_POSES[match[1]];
    const posed = match[2] === 'Left' ? lidGeometry(pose, LID_REST) : lidGeometry(LID_REST, pose);
    // Rounded to 1/10 µm so float noise does not mark unmoved vertices as moved (and keeps the sparse choice stable).
    return [name, posed.positions.map((value, i) => Math.round((value - rest.positions[i]) * 1e7) / 1e7)];
  });
}

/** Brows: inner ends up, whole brow down and in, outer ends up. `inner` is 1 at the nose end, 0 at the outer end. */
function brow(p, side, up, down, outer) {
  if (side !== 0 && sideOf(p) !== side) return [0, 0, 0];
  const inner = smooth(EYE.x + 0.02, EYE.x - 0.02, Math.abs(p[0]));
  return [-sideOf(p) * 0.003 * down, 0.008 * up * inner - 0.006 * down + 0.007 * outer * (1 - inner), 0];
}
const BROWS = {
  browInnerUp: (p) => brow(p, 0, 1, 0, 0),
  browDownLeft: (p) => brow(p, 1, 0, 1, 0),
  browDownRight: (p) => brow(p, -1, 0, 1, 0),
  browOuterUpLeft: (p) => brow(p, 1, 0, 0, 1),
  browOuterUpRight: (p) => brow(p, -1, 0, 0, 1),
};

/** The displacement of point p of a part under one morph target. */
function displacement(part, name, p) {
  if (part === 'brows') return (BROWS[name] ?? (() => [0, 0, 0]))(p);
  return (FACE[name] ?? (() => [0, 0, 0]))(p);
}

// ---- the document ----

function material(doc, name, colour, roughness = 0.6) {
  return doc.createMaterial(name).setBaseColorFactor(colour).setRoughnessFactor(roughness).setMetallicFactor(0);
}

function primitive(doc, buffer, geometry, mat, targets) {
  const accessor = (array, type) => doc.createAccessor().setBuffer(buffer).setType(type).setArray(array);
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', accessor(new Float32Array(geometry.positions), 'VEC3'))
    .setAttribute('NORMAL', accessor(new Float32Array(geometry.normals), 'VEC3'))
    .setIndices(accessor(new Uint32Array(geometry.indices), 'SCALAR'))
    .setMaterial(mat);
  for (const [name, delta] of targets ?? []) {
    // Sparse where a morph moves a small part of the face: only its moved vertices are stored.
    const vertices = delta.length / 3;
    let moved = 0;
    for (let i = 0; i < delta.length; i += 3) if (delta[i] !== 0 || delta[i + 1] !== 0 || delta[i + 2] !== 0) moved++;
    prim.addTarget(doc.createPrimitiveTarget(name).setAttribute('POSITION', accessor(new Float32Array(delta), 'VEC3').setSparse(moved * 2 < vertices)));
  }
  return prim;
}

/** The displacements of every vertex of a part, one array per morph target. */
function targetsOf(part, geometry) {
  return MORPH_TARGETS.map((name) => {
    const delta = new Array(geometry.positions.length).fill(0);
    for (let i = 0; i < geometry.positions.length; i += 3) {
      const d = displacement(part, name, geometry.positions.slice(i, i + 3));
      delta[i] = d[0];
      delta[i + 1] = d[1];
      delta[i + 2] = d[2];
    }
    return [name, delta];
  });
}

function headGeometry() {
  // The skull: narrower towards the chin, a little flatter at the back.
  const skull = ellipsoid({
    centre: [HEAD.x, HEAD.y, HEAD.z],
    radii: [HEAD.rx, HEAD.ry, HEAD.rz],
    rings: 40,
    segments: 56,
    shape: (p) => {
      const below = smooth(HEAD.y, HEAD.y - HEAD.ry, p[1]);
      return [HEAD.x + (p[0] - HEAD.x) * (1 - 0.3 * below), p[1], p[2] - (p[2] < HEAD.z ? 0.08 * (HEAD.z - p[2]) : 0)];
    },
  });
  const nose = ellipsoid({ centre: [0, HEAD.y - 0.012, HEAD.z + 0.092], radii: [0.011, 0.018, 0.013], rings: 10, segments: 14 });
  const ears = [1, -1].map((side) =>
    ellipsoid({ centre: [side * (HEAD.rx - 0.004), HEAD.y - 0.004, HEAD.z - 0.004], radii: [0.01, 0.026, 0.017], rings: 8, segments: 12 }),
  );
  return merge(skull, nose, ...ears);
}

/** The default avatar as a glTF document (for tests and tools that inspect or extend it). */
export function buildDefaultAvatar() {
  const doc = new Document();
  const buffer = doc.createBuffer('avatar');
  const scene = doc.createScene('aico default avatar');
  const root = doc.createNode('AvatarRoot');
  scene.addChild(root);
  const head = doc.createNode('Head');
  root.addChild(head);

  // The face: skin, lids, brows and mouth as primitives of one mesh, so every morph moves them together.
  const face = doc.createMesh('Wolf3D_Head');
  const parts = [
    ['skin', headGeometry(), material(doc, 'Skin', COLOURS.skin, 0.55)],
    ['mouth', disc({ centre: [0, MOUTH.y, MOUTH.z + 0.0045], radii: [MOUTH.halfWidth, 0.0035], curve: 2.2 }), material(doc, 'Mouth', COLOURS.mouth, 0.4)],
    ['lids', lidGeometry(), material(doc, 'Eyelids', COLOURS.lid, 0.55).setDoubleSided(true)],
    [
      'brows',
      merge(
        ...[1, -1].map((side) =>
          strip({
            from: [side * (EYE.x - 0.017), BROW.y, BROW.z],
            to: [side * (EYE.x + 0.02), BROW.y - 0.002, BROW.z - 0.012],
            width: 0.0045,
            thickness: 0.002,
            arch: 0.004,
          }),
        ),
      ),
      material(doc, 'Brows', COLOURS.brow, 0.9),
    ],
  ];
  for (const [part, geometry, mat] of parts)
    face.addPrimitive(primitive(doc, buffer, geometry, mat, part === 'lids' ? lidTargets() : targetsOf(part, geometry)));
  face.setWeights(MORPH_TARGETS.map(() => 0)).setExtras({ targetNames: MORPH_TARGETS });
  head.addChild(doc.createNode('Wolf3D_Head').setMesh(face));

  // Hair: a cap over the top and back of the head, with a fringe.
  const hair = cap({
    centre: [HEAD.x, HEAD.y + 0.006, HEAD.z - 0.004],
    radii: [HEAD.rx + 0.008, HEAD.ry + 0.008, HEAD.rz + 0.01],
    // Low at the back, over the ears at the sides, a soft fringe in front.
    limit: (phi) => Math.PI * (0.3 + 0.3 * ((1 - Math.cos(phi)) / 2) ** 0.8),
  });
  head.addChild(
    doc.createNode('Wolf3D_Hair').setMesh(doc.createMesh('Wolf3D_Hair').addPrimitive(primitive(doc, buffer, hair, material(doc, 'Hair', COLOURS.hair, 0.8)))),
  );

  // Eyes: separate nodes centred on the eyeball, so the page can turn them to look around.
  for (const [name, side] of [
    ['EyeLeft', 1],
    ['EyeRight', -1],
  ]) {
    const eyeball = ellipsoid({ centre: [0, 0, 0], radii: [EYE.r, EYE.r, EYE.r], rings: 16, segments: 24 });
    // Iris and pupil hug the eyeball just outside it, by more than a facet sags (a flat disc would let the eyeball's
    // front poke through).
    const iris = frontCap({ radius: EYE.r * 1.012, halfAngle: 33.4 });
    const pupil = frontCap({ radius: EYE.r * 1.02, halfAngle: 14.5 });
    const mesh = doc
      .createMesh(name)
      .addPrimitive(primitive(doc, buffer, eyeball, material(doc, `${name}White`, COLOURS.eyeWhite, 0.2)))
      .addPrimitive(primitive(doc, buffer, iris, material(doc, `${name}Iris`, COLOURS.iris, 0.3)))
      .addPrimitive(primitive(doc, buffer, pupil, material(doc, `${name}Pupil`, COLOURS.pupil, 0.1)));
    head.addChild(
      doc
        .createNode(name)
        .setTranslation([side * EYE.x, EYE.y, EYE.z])
        .setMesh(mesh),
    );
  }

  // Neck and shoulders in a top.
  const neck = cylinder({ centre: [0, HEAD.y - 0.12, HEAD.z - 0.012], radius: 0.04, height: 0.09, flare: 0.15 });
  root.addChild(
    doc.createNode('Wolf3D_Body').setMesh(doc.createMesh('Wolf3D_Body').addPrimitive(primitive(doc, buffer, neck, material(doc, 'Neck', COLOURS.skin, 0.55)))),
  );
  const shoulders = ellipsoid({
    centre: [0, HEAD.y - 0.235, HEAD.z - 0.02],
    radii: [0.2, 0.1, 0.1],
    rings: 20,
    segments: 40,
    keep: (theta) => theta < Math.PI * 0.72,
  });
  root.addChild(
    doc
      .createNode('Wolf3D_Outfit_Top')
      .setMesh(doc.createMesh('Wolf3D_Outfit_Top').addPrimitive(primitive(doc, buffer, shoulders, material(doc, 'Top', COLOURS.top, 0.85)))),
  );

  doc.getRoot().getAsset().generator = 'aico tools/avatar/generate-default-avatar.mjs';
  return doc;
}

/** The default avatar as GLB bytes. */
export async function buildDefaultAvatarGlb() {
  // WebIO: writing a GLB needs no file system, and this module also runs inside test sandboxes.
  return new WebIO().writeBinary(buildDefaultAvatar());
}

async function main(out) {
  if (!out) {
    console.error('usage: node tools/avatar/generate-default-avatar.mjs <out.glb>');
    process.exit(64);
  }
  console.log('Building the default avatar (head, face, eyes, hair, shoulders; 35 morph targets) ...');
  const bytes = await buildDefaultAvatarGlb();
  writeFileSync(out, bytes);
  console.log(`Wrote ${out}: ${(bytes.length / 1024).toFixed(1)} KiB`);
}

// Run as a script (not when imported by the avatar build or a test).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2]).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
