// Philox4x32-10 (Salmon et al. 2011), the counter-based generator of the
// noise of every Vulkan kernel: the same bits as brainstream_models::philox
// on the CPU. Shared by shaders/step.wgsl (sweeps) and shaders/network.wgsl
// (a graph's mean field), which each append it (gpu/build.rs, network.rs).

fn mulhilo(a: u32, b: u32) -> vec2<u32> {
    // 32×32 → 64-bit product as (hi, lo) from 16-bit halves
    let a_lo = a & 0xffffu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xffffu;
    let b_hi = b >> 16u;
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
    let lo = (ll & 0xffffu) | (mid << 16u);
    let hi = hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
    return vec2<u32>(hi, lo);
}

// Ten rounds on the counter with the Weyl-incremented key.
fn philox(ctr_in: vec4<u32>, key_in: vec2<u32>) -> vec4<u32> {
    var ctr = ctr_in;
    var key = key_in;
    for (var r = 0u; r < 10u; r = r + 1u) {
        let p0 = mulhilo(0xD2511F53u, ctr.x);
        let p1 = mulhilo(0xCD9E8D57u, ctr.z);
        ctr = vec4<u32>(p1.x ^ ctr.y ^ key.x, p1.y, p0.x ^ ctr.w ^ key.y, p0.y);
        key = key + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
    }
    return ctr;
}
