// MontbrioPazoRoxin (Montbrió et al. 2015; tvb-library), f32. The equations
// and parameter meanings are in models/decl/MontbrioPazoRoxin.toml.
// params: tau I Delta J eta Gamma cr cv
const NV: u32 = 2u;
const NC: u32 = 2u;
const NP: u32 = 8u;
const CVAR: array<u32, 2> = array<u32, 2>(0u, 1u);
const USES_F64: bool = false;

fn dfun(xs: array<f32, NV>, cpl: array<f32, NC>) -> array<f32, NV> {
    let tau = p(0u);
    let I = p(1u);
    let Delta = p(2u);
    let J = p(3u);
    let eta = p(4u);
    let cr = p(6u);
    let cv = p(7u);
    let r = xs[0];
    let v = xs[1];
    let pi = 3.14159265358979;
    var dx: array<f32, NV>;
    dx[0] = 1.0 / tau * (Delta / (pi * tau) + 2.0 * v * r);
    dx[1] = 1.0 / tau * (v * v - pi * pi * tau * tau * r * r + eta + J * tau * r + I + cr * cpl[0] + cv * cpl[1]);
    return dx;
}
