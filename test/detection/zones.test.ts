// Point-in-polygon (convex, concave, edges) and zone membership by the box's ground point.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pointInPolygon, zonesOf, type Zone } from '../../src/detection/zones';

const square: Array<[number, number]> = [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8]];
// A "U": the notch between x 0.4..0.6 above y 0.5 is outside.
const u: Array<[number, number]> = [[0.2, 0.2], [0.4, 0.2], [0.4, 0.5], [0.6, 0.5], [0.6, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8]];

test('convex polygon: inside and outside', () => {
  assert.equal(pointInPolygon(0.5, 0.5, square), true);
  assert.equal(pointInPolygon(0.1, 0.5, square), false);
  assert.equal(pointInPolygon(0.5, 0.9, square), false);
  assert.equal(pointInPolygon(0.9, 0.9, square), false);
});

test('concave polygon: the notch is outside, the arms and base inside', () => {
  assert.equal(pointInPolygon(0.5, 0.3, u), false);
  assert.equal(pointInPolygon(0.3, 0.3, u), true);
  assert.equal(pointInPolygon(0.7, 0.3, u), true);
  assert.equal(pointInPolygon(0.5, 0.7, u), true);
  // A horizontal ray through the notch's bottom vertices must not be miscounted.
  assert.equal(pointInPolygon(0.1, 0.5, u), false);
  assert.equal(pointInPolygon(0.3, 0.5, u), true);
});

test('points on edges and vertices count as inside', () => {
  assert.equal(pointInPolygon(0.5, 0.2, square), true);
  assert.equal(pointInPolygon(0.8, 0.5, square), true);
  assert.equal(pointInPolygon(0.2, 0.8, square), true);
  assert.equal(pointInPolygon(0.5, 0.5, u), true, 'bottom edge of the notch');
  assert.equal(pointInPolygon(0.8 + 1e-6, 0.5, square), false, 'just outside an edge');
});

test('fewer than three points is no area', () => {
  assert.equal(pointInPolygon(0.5, 0.5, []), false);
  assert.equal(pointInPolygon(0.5, 0.5, [[0, 0], [1, 1]]), false);
});

test('zonesOf uses the bottom-centre point, not overlap or centre', () => {
  const zones: Zone[] = [
    { name: 'driveway', points: [[0, 0.6], [1, 0.6], [1, 1], [0, 1]] },
    { name: 'door', points: [[0.4, 0], [0.6, 0], [0.6, 0.5], [0.4, 0.5]] },
    { name: 'left', points: [[0, 0], [0.3, 0], [0.3, 1], [0, 1]] },
  ];
  // A person whose body overlaps the door zone but who stands on the driveway.
  assert.deepEqual(zonesOf({ x1: 0.45, y1: 0.2, x2: 0.55, y2: 0.9 }, zones), ['driveway']);
  // Centre inside the door, feet at its bottom edge (on the edge counts).
  assert.deepEqual(zonesOf({ x1: 0.45, y1: 0.1, x2: 0.55, y2: 0.5 }, zones), ['door']);
  // Overlapping zones: both reported, in zone order.
  assert.deepEqual(zonesOf({ x1: 0.05, y1: 0.5, x2: 0.15, y2: 0.8 }, zones), ['driveway', 'left']);
  // Box reaching into 'left' but with its ground point outside every zone.
  assert.deepEqual(zonesOf({ x1: 0.2, y1: 0.1, x2: 0.5, y2: 0.55 }, zones), []);
  assert.deepEqual(zonesOf({ x1: 0.2, y1: 0.1, x2: 0.5, y2: 0.55 }, []), []);
});
