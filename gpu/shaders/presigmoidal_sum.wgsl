    // tvb-library 2.10's PreSigmoidal sum (sum = "presigmoidal"), in the CPU
    // engine's order (brainstream_models::coupling, engine.rs); in the sweep
    // kernel for combination c, the entries the same for every combination.
    // For region i, one entry per region r with w_ir != 0 or w_ri != 0,
    // r ascending:
    //   ints[ints[$PTR]..]: first entry of each region (N + 1)
    //   ints[ints[$DLY]..]: d_ri per entry, 0xffffffff where w_ri = 0
    //   ints[ints[$DIAG]..]: d_ii per region, 0xffffffff where w_ii = 0
    //   floats[ints[$W]..]: (w_ir, w_ri) per entry
    // X_r(v) is region i's OWN coupled variable v delayed by d_ri, 0 where
    // w_ri = 0; A = cpl_presig (the declaration's pre); sums from 0 in
    // ascending r in CplSum (the kernel's precision), stored as f32:
    //   dynamic = 0: c_k = Σ_r w_ir·A(X_r(k), theta)
    //   dynamic = 1: c_0 = Σ_{r: w_ri≠0} w_ri·A(X_r(0), X_r(1)),
    //                c_1 = A(X_i(0), X_i(1)) (numpy.diag: the direct output)
    let ps_dly = ints[$DLY];
    let ps_w = ints[$W];
    let dynamic = cp(CPL_DYNAMIC) != 0.0;
    let p0 = ints[ints[$PTR] + i];
    let p1 = ints[ints[$PTR] + i + 1u];
    for (var k = 0u; k < NT; k = k + 1u) {
        var sum: CplSum = 0.0;
        if (dynamic && k == 1u) {
            let d = ints[ints[$DIAG] + i];
            var xv: f32 = 0.0;
            var th: f32 = 0.0;
            if (d != 0xffffffffu) {
                let sl = ($T + H - d) % H;
                xv = hist[$((sl * NC) * N + i$)];
                th = hist[$((sl * NC + 1u) * N + i$)];
            }
            sum = cpl_presig(xv, th);
        } else {
            for (var e = p0; e < p1; e = e + 1u) {
                let d = ints[ps_dly + e];
                if (dynamic && d == 0xffffffffu) {
                    continue;
                }
                var xv: f32 = 0.0;
                var th: f32 = cp(CPL_THETA);
                if (d != 0xffffffffu) {
                    let sl = ($T + H - d) % H;
                    xv = hist[$((sl * NC + k) * N + i$)];
                    if (dynamic) {
                        th = hist[$((sl * NC + 1u) * N + i$)];
                    }
                }
                var wv = floats[ps_w + 2u * e];
                if (dynamic) {
                    wv = floats[ps_w + 2u * e + 1u];
                }
                sum = sum + CplSum(wv) * cpl_presig(xv, th);
            }
        }
        cpl[k] = f32(sum);
    }
