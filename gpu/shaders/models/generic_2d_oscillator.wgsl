// Generic2dOscillator (tvb-library), f32. The equations and parameter
// meanings are in models/decl/Generic2dOscillator.toml.
// params: tau I a b c d e f g alpha beta gamma
const NV: u32 = 2u;
const NC: u32 = 1u;
const NP: u32 = 12u;
const CVAR: array<u32, 1> = array<u32, 1>(0u);
const USES_F64: bool = false;

fn dfun(xs: array<f32, NV>, cpl: array<f32, NC>) -> array<f32, NV> {
    let tau = p(0u);
    let I = p(1u);
    let a = p(2u);
    let b = p(3u);
    let c = p(4u);
    let d = p(5u);
    let e = p(6u);
    let f = p(7u);
    let g = p(8u);
    let alpha = p(9u);
    let beta = p(10u);
    let gamma = p(11u);
    let v = xs[0];
    let v2 = v * v;
    let w = xs[1];
    var dx: array<f32, NV>;
    dx[0] = d * tau * (alpha * w - f * v2 * v + e * v2 + g * v + gamma * I + gamma * cpl[0]);
    dx[1] = d * (a + b * v + c * v2 - beta * w) / tau;
    return dx;
}
