// Zones: named polygons in normalised frame coordinates (e.g. "driveway", "door").
import type { Box } from './types';

export interface Zone {
  name: string;
  /** Polygon vertices [x, y], normalised 0..1; closed implicitly (last joins first). */
  points: Array<[number, number]>;
}

// Tolerance for "on the edge": normalised coordinates, so 1e-9 is far below one pixel.
const EPS = 1e-9;

function onSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): boolean {
  const cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
  if (Math.abs(cross) > EPS) return false;
  return (
    px >= Math.min(ax, bx) - EPS && px <= Math.max(ax, bx) + EPS &&
    py >= Math.min(ay, by) - EPS && py <= Math.max(ay, by) + EPS
  );
}

/**
 * Even-odd ray casting; works for convex and concave (non-self-intersecting) polygons.
 * A point exactly on an edge or vertex counts as inside, so an object standing on a zone's
 * boundary line is reported rather than flickering in and out with rounding.
 * Fewer than 3 vertices is not an area: always false.
 */
export function pointInPolygon(x: number, y: number, poly: Array<[number, number]>): boolean {
  const n = poly.length;
  if (n < 3) return false;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const pi = poly[i];
    const pj = poly[j];
    if (!pi || !pj) continue; // unreachable with i, j < n; satisfies noUncheckedIndexedAccess
    const [xi, yi] = pi;
    const [xj, yj] = pj;
    if (onSegment(x, y, xi, yi, xj, yj)) return true;
    // Half-open test on y (yi > y) !== (yj > y) counts each vertex once, so rays through
    // vertices are not double-counted.
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Names of the zones containing the box's bottom-centre point. That point is where a person's
 * feet or a car's wheels touch the ground, and zones are drawn on the ground in the camera
 * image. Using the box centre or any overlap would, through perspective, put a tall person
 * standing in front of a zone "in" it, and a car passing behind a doorway zone in the doorway.
 */
export function zonesOf(box: Box, zones: Zone[]): string[] {
  const x = (box.x1 + box.x2) / 2;
  const y = box.y2;
  return zones.filter((z) => pointInPolygon(x, y, z.points)).map((z) => z.name);
}
