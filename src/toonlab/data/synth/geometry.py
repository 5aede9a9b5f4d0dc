"""Plane geometry for the drawings: smooth curves, offsets, strokes, clipping.

Every shape is an ``(N, 2)`` float array in *unit* coordinates: x to the right,
y downwards, 1.0 = the image width. The canvas scales them to pixels, so the same
face draws at any size.
"""

from __future__ import annotations

import numpy as np

Points = np.ndarray


def spline(points, *, closed: bool, steps: int = 6) -> Points:
    """A Catmull-Rom curve through ``points`` (``steps`` samples per segment)."""
    p = np.asarray(points, dtype=float)
    if closed:
        p0, p1, p2, p3 = np.roll(p, 1, 0), p, np.roll(p, -1, 0), np.roll(p, -2, 0)
    else:
        ext = np.vstack([p[:1], p, p[-1:]])
        p0, p1, p2, p3 = ext[:-3], ext[1:-2], ext[2:-1], ext[3:]
    t = np.linspace(0.0, 1.0, steps, endpoint=False)[:, None, None]
    curve = 0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                   + (3 * p1 - p0 - 3 * p2 + p3) * t**3)
    out = curve.transpose(1, 0, 2).reshape(-1, 2)
    return out if closed else np.vstack([out, p[-1:]])


def ellipse(cx: float, cy: float, rx: float, ry: float, *, n: int = 48,
            start: float = 0.0, stop: float = 2 * np.pi) -> Points:
    """Points on an ellipse from angle ``start`` to ``stop`` (radians; y down, so -pi/2 is the top)."""
    full = np.isclose(stop - start, 2 * np.pi)
    t = np.linspace(start, stop, n, endpoint=not full)
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def normals(points: Points, *, closed: bool) -> Points:
    """Unit normals, to the left of the direction of travel (right-hand side on screen)."""
    if closed:
        d = np.roll(points, -1, 0) - np.roll(points, 1, 0)
    else:
        d = np.gradient(points, axis=0)
    n = np.column_stack([d[:, 1], -d[:, 0]])
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


def area(points: Points) -> float:
    """Signed area (shoelace); the sign tells the winding."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def dilate(polygon: Points, distance) -> Points:
    """Grow a closed polygon outwards by ``distance`` (scalar or one per point); negative shrinks."""
    n = normals(polygon, closed=True)
    sign = 1.0 if area(polygon) > 0 else -1.0  # the normal points outwards for one winding only
    return polygon + sign * n * np.asarray(distance, dtype=float).reshape(-1, 1)


def offset(points: Points, distance, *, closed: bool = False) -> Points:
    """Shift a curve sideways along its normals (positive = right of the direction of travel)."""
    return points + normals(points, closed=closed) * np.asarray(distance, dtype=float).reshape(-1, 1)


def stroke(points: Points, half_width, *, caps: int = 6) -> Points:
    """The outline of a pen stroke along an open curve, with round caps.

    Args:
        points: the centre line.
        half_width: half the stroke width, a scalar or one value per point (tapering).
        caps: samples on each round cap.
    """
    hw = np.broadcast_to(np.asarray(half_width, dtype=float), (len(points),))
    n = normals(points, closed=False)
    left, right = points + n * hw[:, None], points - n * hw[:, None]
    return np.vstack([left, _cap(points[-1], n[-1], hw[-1], caps),
                      right[::-1], _cap(points[0], -n[0], hw[0], caps)])


def _cap(centre: Points, normal: Points, radius: float, samples: int) -> Points:
    """A half circle from ``centre + normal*r`` round to ``centre - normal*r``."""
    start = np.arctan2(normal[1], normal[0])
    t = start + np.linspace(0, np.pi, samples + 2)[1:-1]
    return np.column_stack([centre[0] + radius * np.cos(t), centre[1] + radius * np.sin(t)])


def clip(polygon: Points, a: float, b: float, c: float) -> Points:
    """The part of a convex-enough polygon where ``a*x + b*y <= c`` (Sutherland-Hodgman)."""
    side = polygon @ np.array([a, b]) - c
    out = []
    for i in range(len(polygon)):
        j = (i + 1) % len(polygon)
        if side[i] <= 0:
            out.append(polygon[i])
        if (side[i] <= 0) != (side[j] <= 0):
            t = side[i] / (side[i] - side[j])
            out.append(polygon[i] + t * (polygon[j] - polygon[i]))
    return np.array(out).reshape(-1, 2)


def rotate(points: Points, angle: float, centre=(0.0, 0.0)) -> Points:
    """Rotate by ``angle`` radians about ``centre`` (positive turns +x towards -y, i.e. up on screen)."""
    c, s = np.cos(angle), np.sin(angle)
    p = np.asarray(points, dtype=float) - centre
    return np.column_stack([p[:, 0] * c + p[:, 1] * s, -p[:, 0] * s + p[:, 1] * c]) + centre


def mirror(points: Points) -> Points:
    """Reflect across the face's vertical centre line x = 0.5."""
    p = np.array(points, dtype=float)
    p[:, 0] = 1.0 - p[:, 0]
    return p
