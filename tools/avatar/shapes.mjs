// Parametric meshes for the default avatar generator, each as { positions, normals, indices } (flat number arrays,
// glTF axes: Y up, +Z forward). Deterministic: no randomness.

/** An ellipsoid (UV sphere), optionally only the part where keep(theta, phi) holds; `shape` may move each vertex. */
export function ellipsoid({ centre, radii, rings = 24, segments = 32, keep = () => true, shape = (p) => p }) {
  const positions = [];
  const normals = [];
  const indices = [];
  const index = new Map();
  for (let ring = 0; ring <= rings; ring++) {
    const theta = (ring / rings) * Math.PI; // 0 at the top
    for (let segment = 0; segment <= segments; segment++) {
      const phi = (segment / segments) * Math.PI * 2; // 0 facing +Z
      const unit = [Math.sin(theta) * Math.sin(phi), Math.cos(theta), Math.sin(theta) * Math.cos(phi)];
      const point = shape([centre[0] + unit[0] * radii[0], centre[1] + unit[1] * radii[1], centre[2] + unit[2] * radii[2]], unit);
      index.set(`${ring}:${segment}`, positions.length / 3);
      positions.push(...point);
      const normal = [unit[0] / radii[0], unit[1] / radii[1], unit[2] / radii[2]];
      const length = Math.hypot(...normal);
      normals.push(normal[0] / length, normal[1] / length, normal[2] / length);
    }
  }
  for (let ring = 0; ring < rings; ring++) {
    for (let segment = 0; segment < segments; segment++) {
      const theta = ((ring + 0.5) / rings) * Math.PI;
      const phi = ((segment + 0.5) / segments) * Math.PI * 2;
      if (!keep(theta, phi)) continue;
      const a = index.get(`${ring}:${segment}`);
      const b = index.get(`${ring + 1}:${segment}`);
      const c = index.get(`${ring + 1}:${segment + 1}`);
      const d = index.get(`${ring}:${segment + 1}`);
      indices.push(a, b, d, b, c, d);
    }
  }
  return { positions, normals, indices };
}

/**
 * The part of an ellipsoid above a line around it: from the top down to `limit(phi)` (radians from the top) in every
 * direction, so the edge is smooth however it curves (hair over the forehead, ears and neck).
 */
export function cap({ centre, radii, limit, rings = 20, segments = 48 }) {
  const positions = [];
  const normals = [];
  const indices = [];
  for (let ring = 0; ring <= rings; ring++) {
    for (let segment = 0; segment <= segments; segment++) {
      const phi = (segment / segments) * Math.PI * 2;
      const theta = (ring / rings) * limit(phi);
      const unit = [Math.sin(theta) * Math.sin(phi), Math.cos(theta), Math.sin(theta) * Math.cos(phi)];
      positions.push(centre[0] + unit[0] * radii[0], centre[1] + unit[1] * radii[1], centre[2] + unit[2] * radii[2]);
      const normal = [unit[0] / radii[0], unit[1] / radii[1], unit[2] / radii[2]];
      const length = Math.hypot(...normal);
      normals.push(normal[0] / length, normal[1] / length, normal[2] / length);
    }
  }
  for (let ring = 0; ring < rings; ring++) {
    for (let segment = 0; segment < segments; segment++) {
      const a = ring * (segments + 1) + segment;
      const b = a + segments + 1;
      indices.push(a, b, a + 1, b, b + 1, a + 1);
    }
  }
  return { positions, normals, indices };
}

/** A spherical cap around +Z centred on the origin (an iris or pupil on an eyeball), `halfAngle` in degrees. */
export function frontCap({ radius, halfAngle, rings = 3, segments = 32 }) {
  const onY = cap({ centre: [0, 0, 0], radii: [radius, radius, radius], limit: () => (halfAngle * Math.PI) / 180, rings, segments });
  // Turn +Y to +Z (a quarter turn about X): (x, y, z) -> (x, -z, y).
  const turn = (values) => values.flatMap((_, i) => (i % 3 === 0 ? [values[i], -values[i + 2], values[i + 1]] : []));
  return { positions: turn(onY.positions), normals: turn(onY.normals), indices: onY.indices };
}

/** A cylinder along Y. */
export function cylinder({ centre, radius, height, segments = 32, flare = 0 }) {
  const positions = [];
  const normals = [];
  const indices = [];
  for (let level = 0; level <= 1; level++) {
    const y = centre[1] - height / 2 + level * height;
    const r = radius * (1 + (1 - level) * flare);
    for (let segment = 0; segment <= segments; segment++) {
      const phi = (segment / segments) * Math.PI * 2;
      positions.push(centre[0] + Math.sin(phi) * r, y, centre[2] + Math.cos(phi) * r);
      normals.push(Math.sin(phi), 0, Math.cos(phi));
    }
  }
  for (let segment = 0; segment < segments; segment++) {
    const a = segment;
    const b = segment + segments + 1;
    indices.push(a, a + 1, b, a + 1, b + 1, b);
  }
  return { positions, normals, indices };
}

/** A flat ellipse facing +Z (a disc), with rings so it can bend under the morphs. */
export function disc({ centre, radii, rings = 6, segments = 32, curve = 0 }) {
  const positions = [centre[0], centre[1], centre[2]];
  const normals = [0, 0, 1];
  const indices = [];
  for (let ring = 1; ring <= rings; ring++) {
    const t = ring / rings;
    for (let segment = 0; segment < segments; segment++) {
      const phi = (segment / segments) * Math.PI * 2;
      const x = Math.cos(phi) * radii[0] * t;
      positions.push(centre[0] + x, centre[1] + Math.sin(phi) * radii[1] * t, centre[2] - curve * x * x);
      normals.push(0, 0, 1);
    }
  }
  for (let segment = 0; segment < segments; segment++) {
    const next = (segment + 1) % segments;
    indices.push(0, 1 + segment, 1 + next);
  }
  for (let ring = 1; ring < rings; ring++) {
    const inner = 1 + (ring - 1) * segments;
    const outer = 1 + ring * segments;
    for (let segment = 0; segment < segments; segment++) {
      const next = (segment + 1) % segments;
      indices.push(inner + segment, outer + segment, outer + next, inner + segment, outer + next, inner + next);
    }
  }
  return { positions, normals, indices };
}

/** A curved strip (an eyebrow): a thin box bent along an arc. */
export function strip({ from, to, width, thickness, arch, segments = 10 }) {
  const positions = [];
  const normals = [];
  const indices = [];
  for (let i = 0; i <= segments; i++) {
    const t = i / segments;
    const x = from[0] + (to[0] - from[0]) * t;
    const y = from[1] + (to[1] - from[1]) * t + Math.sin(t * Math.PI) * arch;
    const z = from[2] + (to[2] - from[2]) * t;
    for (const [dy, dz] of [
      [width / 2, thickness],
      [-width / 2, thickness],
      [-width / 2, 0],
      [width / 2, 0],
    ]) {
      positions.push(x, y + dy, z + dz);
      normals.push(0, dy > 0 ? 0.5 : -0.5, dz > 0 ? 1 : -0.2);
    }
  }
  for (let i = 0; i < segments; i++) {
    for (let side = 0; side < 4; side++) {
      const a = i * 4 + side;
      const b = i * 4 + ((side + 1) % 4);
      indices.push(a, b, a + 4, b, b + 4, a + 4);
    }
  }
  return { positions, normals, indices };
}

export function merge(...parts) {
  const merged = { positions: [], normals: [], indices: [] };
  for (const part of parts) {
    const offset = merged.positions.length / 3;
    merged.positions.push(...part.positions);
    merged.normals.push(...part.normals);
    merged.indices.push(...part.indices.map((i) => i + offset));
  }
  return merged;
}
