// ReducedWongWangExcInh (Deco et al. 2014; tvb-library), f32. The equations
// and parameter meanings are in models/decl/ReducedWongWangExcInh.toml.
// params: a_e b_e d_e gamma_e tau_e w_p J_N W_e a_i b_i d_i gamma_i tau_i J_i W_i I_o I_ext G lamda
const NV: u32 = 2u;
const NC: u32 = 1u;
const NP: u32 = 19u;
const CVAR: array<u32, 1> = array<u32, 1>(0u);
const USES_F64: bool = false;

fn dfun(s: array<f32, NV>, cpl: array<f32, NC>) -> array<f32, NV> {
    let a_e = p(0u);
    let b_e = p(1u);
    let d_e = p(2u);
    let gamma_e = p(3u);
    let tau_e = p(4u);
    let w_p = p(5u);
    let J_N = p(6u);
    let W_e = p(7u);
    let a_i = p(8u);
    let b_i = p(9u);
    let d_i = p(10u);
    let gamma_i = p(11u);
    let tau_i = p(12u);
    let J_i = p(13u);
    let W_i = p(14u);
    let I_o = p(15u);
    let I_ext = p(16u);
    let G = p(17u);
    let lamda = p(18u);
    let cc = G * J_N * cpl[0];
    let jn_se = J_N * s[0];
    let xe = a_e * (w_p * jn_se - J_i * s[1] + W_e * I_o + cc + I_ext) - b_e;
    let he = xe / (1.0 - exp(-d_e * xe));
    let xi = a_i * (jn_se - s[1] + W_i * I_o + lamda * cc) - b_i;
    let hi = xi / (1.0 - exp(-d_i * xi));
    var dx: array<f32, NV>;
    dx[0] = -(s[0] / tau_e) + (1.0 - s[0]) * he * gamma_e;
    dx[1] = -(s[1] / tau_i) + hi * gamma_i;
    return dx;
}
