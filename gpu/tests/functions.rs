//! The built-in functions of the expression language as the kernels
//! compute them (`brainstream_modeldecl::wgsl::library`) against the CPU
//! engine's (`brainstream_modeldecl::fns`), on the device: every function
//! in f64 over its domain, special values included, and the f32 functions
//! written by hand. Lavapipe in CI (BRAINSTREAM_REQUIRE_VULKAN); without a
//! device it says so and passes.

// `!(e <= worst)` on purpose: a NaN error must count as the worst
#![allow(clippy::neg_cmp_op_on_partial_ord, clippy::type_complexity)]

use std::sync::Arc;

use brainstream_gpu::{GpuDevice, GpuError};
use brainstream_modeldecl::fns::{F1, F2, FUNCTIONS};
use brainstream_modeldecl::wgsl::{library, Precision};
use vulkano::buffer::{Buffer, BufferCreateInfo, BufferUsage};
use vulkano::command_buffer::{
    AutoCommandBufferBuilder, CommandBufferUsage, PrimaryCommandBufferAbstract,
};
use vulkano::descriptor_set::{DescriptorSet, WriteDescriptorSet};
use vulkano::memory::allocator::{AllocationCreateInfo, MemoryTypeFilter};
use vulkano::pipeline::compute::ComputePipelineCreateInfo;
use vulkano::pipeline::layout::PipelineDescriptorSetLayoutCreateInfo;
use vulkano::pipeline::{
    ComputePipeline, Pipeline, PipelineBindPoint, PipelineLayout, PipelineShaderStageCreateInfo,
};
use vulkano::shader::{ShaderModule, ShaderModuleCreateInfo};
use vulkano::sync::GpuFuture;

fn device() -> Option<Arc<GpuDevice>> {
    match GpuDevice::open() {
        Ok(d) => Some(Arc::new(d)),
        Err(e @ GpuError::NoDevice(_)) => {
            if std::env::var("BRAINSTREAM_REQUIRE_VULKAN").is_ok() {
                panic!("{e}");
            }
            eprintln!("no Vulkan device, not checked here: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// `call` (e.g. `m_pow(a, b)`) at every (a, b) of `args`, on the device, in
/// `prec` (arguments and results carried as f64).
fn eval(dev: &Arc<GpuDevice>, prec: Precision, call: &str, args: &[(f64, f64)]) -> Vec<f64> {
    let ty = prec.ty();
    let src = format!(
        "{lib}
var<private> k_inf: {ty};
@group(0) @binding(0) var<storage, read> xin: array<f64>;
@group(0) @binding(1) var<storage, read_write> yout: array<f64>;
@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
    k_inf = 1.0 / opq(0.0);
    let i = gid.x;
    if (i >= arrayLength(&yout)) {{
        return;
    }}
    let a = {ty}(xin[2u * i]);
    let b = {ty}(xin[2u * i + 1u]);
    yout[i] = f64({call});
}}
",
        lib = library(prec)
    );
    let words = brainstream_gpu::spirv::compile(&src).unwrap_or_else(|e| panic!("{call}: {e}"));
    let host = |usage, data: Vec<f64>| {
        Buffer::from_iter(
            dev.memory.clone(),
            BufferCreateInfo {
                usage,
                ..Default::default()
            },
            AllocationCreateInfo {
                memory_type_filter: MemoryTypeFilter::PREFER_HOST
                    | MemoryTypeFilter::HOST_RANDOM_ACCESS,
                ..Default::default()
            },
            data,
        )
        .unwrap()
    };
    let xin = host(
        BufferUsage::STORAGE_BUFFER,
        args.iter().flat_map(|&(a, b)| [a, b]).collect(),
    );
    let yout = host(BufferUsage::STORAGE_BUFFER, vec![0.0; args.len()]);
    // SAFETY: naga's output, validated.
    let module =
        unsafe { ShaderModule::new(dev.device.clone(), ShaderModuleCreateInfo::new(&words)) }
            .unwrap();
    let stage = PipelineShaderStageCreateInfo::new(module.entry_point("main").unwrap());
    let layout = PipelineLayout::new(
        dev.device.clone(),
        PipelineDescriptorSetLayoutCreateInfo::from_stages([&stage])
            .into_pipeline_layout_create_info(dev.device.clone())
            .unwrap(),
    )
    .unwrap();
    let pipeline = ComputePipeline::new(
        dev.device.clone(),
        None,
        ComputePipelineCreateInfo::stage_layout(stage, layout),
    )
    .unwrap();
    let set = DescriptorSet::new(
        dev.descriptors.clone(),
        pipeline.layout().set_layouts()[0].clone(),
        [
            WriteDescriptorSet::buffer(0, xin),
            WriteDescriptorSet::buffer(1, yout.clone()),
        ],
        [],
    )
    .unwrap();
    let mut b = AutoCommandBufferBuilder::primary(
        dev.commands.clone(),
        dev.queue.queue_family_index(),
        CommandBufferUsage::OneTimeSubmit,
    )
    .unwrap();
    b.bind_pipeline_compute(pipeline.clone()).unwrap();
    b.bind_descriptor_sets(
        PipelineBindPoint::Compute,
        pipeline.layout().clone(),
        0,
        set,
    )
    .unwrap();
    // SAFETY: the shader bounds-checks against the output's length.
    unsafe { b.dispatch([(args.len() as u32).div_ceil(64), 1, 1]) }.unwrap();
    b.build()
        .unwrap()
        .execute(dev.queue.clone())
        .unwrap()
        .then_signal_fence_and_flush()
        .unwrap()
        .wait(None)
        .unwrap();
    let r = yout.read().unwrap();
    r.to_vec()
}

fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
        .collect()
}

fn logspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    linspace(lo, hi, n)
        .into_iter()
        .map(|e| 10f64.powf(e))
        .collect()
}

/// Arguments of a one-argument function: its domain, densely, and the
/// special values.
fn args1(f: F1) -> Vec<f64> {
    let mut v = match f {
        F1::Exp => linspace(-745.0, 709.7, 4001),
        F1::Log | F1::Log10 | F1::Sqrt => logspace(-307.0, 307.0, 4001),
        F1::Sin | F1::Cos | F1::Tan => linspace(-1e4, 1e4, 4001),
        F1::Sinh | F1::Cosh => linspace(-700.0, 700.0, 4001),
        F1::Tanh | F1::Atan => linspace(-30.0, 30.0, 4001),
        F1::Erf | F1::Erfc => linspace(-30.0, 30.0, 4001),
        _ => linspace(-10.0, 10.0, 401),
    };
    // near 0 and 1, both signs, and the special values
    v.extend(linspace(-3.0, 3.0, 601));
    v.extend(logspace(-20.0, 0.0, 201));
    v.extend(logspace(-20.0, 0.0, 201).into_iter().map(|x| -x));
    v.extend(linspace(0.999, 1.001, 101));
    v.extend([0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]);
    v
}

fn args2(f: F2) -> Vec<(f64, f64)> {
    let xs = [
        -3.0,
        -2.0,
        -1.0,
        -0.5,
        -0.0,
        0.0,
        0.5,
        1.0,
        1.5,
        2.0,
        3.0,
        10.0,
        1e-10,
        1e10,
        1e300,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    let mut v = vec![];
    for &a in &xs {
        for &b in &xs {
            v.push((a, b));
        }
    }
    if f == F2::Pow {
        for &a in &linspace(0.01, 100.0, 97) {
            for &b in &linspace(-20.0, 20.0, 41) {
                v.push((a, b));
            }
        }
    } else {
        for &a in &linspace(-50.0, 50.0, 61) {
            for &b in &linspace(-50.0, 50.0, 61) {
                v.push((a, b));
            }
        }
    }
    v
}

/// |gpu − cpu| relative to |cpu| (to 1 for trigonometric functions, whose
/// values near 0 come from a reduced argument); special values must match
/// exactly (NaN with NaN, ±∞, the sign of 0 aside).
fn error(trig: bool, g: f64, c: f64) -> f64 {
    if c.is_nan() || g.is_nan() {
        return if c.is_nan() == g.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if c.is_infinite() || g.is_infinite() {
        return if c == g { 0.0 } else { f64::INFINITY };
    }
    let scale = if trig { c.abs().max(1.0) } else { c.abs() };
    if scale < 1e-300 {
        // results that underflow: absolute
        return (g - c).abs() / 1e-300;
    }
    (g - c).abs() / scale
}

#[test]
fn every_function_agrees_with_the_cpu_in_f64() {
    let Some(dev) = device() else { return };
    if !dev.has_f64 {
        eprintln!("{} has no shaderFloat64", dev.name);
        return;
    }
    let mut failures = vec![];
    for (name, arity, _) in FUNCTIONS {
        let (call, args, cpu): (String, Vec<(f64, f64)>, Box<dyn Fn(f64, f64) -> f64>) =
            match (arity, F1::by_name(name), F2::by_name(name)) {
                (1, Some(f), _) => (
                    format!("m_{}(a)", wgsl_name(name)),
                    args1(f).into_iter().map(|a| (a, 0.0)).collect(),
                    Box::new(move |a, _| f.eval(a)),
                ),
                (2, _, Some(f)) => (
                    format!("m_{}(a, b)", wgsl_name2(name)),
                    args2(f),
                    Box::new(move |a, b| f.eval(a, b)),
                ),
                _ => continue,
            };
        let trig = matches!(*name, "sin" | "cos" | "tan" | "atan2");
        let got = eval(&dev, Precision::F64, &call, &args);
        let (mut worst, mut at) = (0.0f64, (0.0, 0.0));
        for (&(a, b), &g) in args.iter().zip(&got) {
            let e = error(trig, g, cpu(a, b));
            // pow is exp(y·ln x): the rounding of ln x (relative ε) moves the
            // result by |y·ln x|·ε, so huge results (1e300¹) are allowed
            // that much more, measured in units of 1e-16·|y·ln x|
            let e = if *name == "pow" && a > 0.0 && (b * a.ln()).is_finite() {
                e / (1.0 + 0.01 * (b * a.ln()).abs())
            } else {
                e
            };
            if !(e <= worst) {
                worst = e;
                at = (a, b);
            }
        }
        // tan near its poles: sin/cos rounds like a quotient of two values
        let tol = if *name == "tan" { 1e-12 } else { 1e-14 };
        eprintln!(
            "{name:<10} worst {worst:.2e} at {at:?} (cpu {:e}, tolerance {tol:.0e})",
            cpu(at.0, at.1)
        );
        if !(worst <= tol) {
            failures.push(format!("{name}: {worst:e} at {at:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn wgsl_name(n: &str) -> &str {
    n
}

fn wgsl_name2(n: &str) -> &str {
    if n == "heaviside" {
        "heaviside2"
    } else {
        n
    }
}

/// The f32 functions written by hand (not WGSL's built-ins) and the
/// special cases of the rest, against the CPU's f64 rounded to f32.
#[test]
fn hand_written_f32_functions_agree_with_the_cpu() {
    let Some(dev) = device() else { return };
    let xs: Vec<f64> = linspace(-8.0, 8.0, 1601)
        .into_iter()
        .chain([0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN])
        .collect();
    let mut failures = vec![];
    // Vulkan lets f32 exp be off by (3 + 2|x|) ulp (the precision of
    // GLSL.std.450 Exp): erfc (exp of about −x² − 1.3, |x| ≤ 3 here) up to
    // 24 ulp, sinh and cosh (exp of |x| − ln 2, |x| ≤ 8) up to 18 ulp; erf
    // is 1 − erfc from |x| = 0.5 (exp of about −1.5: 6 ulp)
    for (name, tol) in [
        ("erf", 5e-7),
        ("erfc", 1.5e-6),
        ("tanh", 3e-7),
        ("sinh", 1.2e-6),
        ("cosh", 1.2e-6),
        ("sign", 0.0),
        ("heaviside", 0.0),
        ("abs", 0.0),
    ] {
        let f = F1::by_name(name).unwrap();
        let args: Vec<(f64, f64)> = xs.iter().map(|&a| (a, 0.0)).collect();
        let got = eval(&dev, Precision::F32, &format!("m_{name}(a)"), &args);
        let mut worst = 0.0f64;
        for (&(a, _), &g) in args.iter().zip(&got) {
            let c = f.eval((a as f32) as f64) as f32 as f64;
            // erfc's tail is f32's exp of −x², whose error Vulkan lets
            // grow as 3 + 2|x²| ulp: 100 times looser beyond x = 3
            let e = error(false, g, c);
            let e = if name == "erfc" && a > 3.0 {
                e * 1e-2
            } else {
                e
            };
            worst = worst.max(e);
        }
        eprintln!("f32 {name:<10} worst {worst:.2e} (tolerance {tol:.0e})");
        if !(worst <= tol) {
            failures.push(format!("{name}: {worst:e}"));
        }
    }
    for (name, tol) in [
        ("pow", 3e-5),
        ("min", 0.0),
        ("max", 0.0),
        ("hypot", 3e-7),
        ("heaviside", 0.0),
    ] {
        let f = F2::by_name(name).unwrap();
        let args: Vec<(f64, f64)> = args2(F2::Min)
            .into_iter()
            .filter(|(a, b)| {
                (a.abs() < 1e30 || a.is_infinite()) && (b.abs() < 40.0 || !b.is_finite())
            })
            .collect();
        let got = eval(
            &dev,
            Precision::F32,
            &format!("m_{}(a, b)", wgsl_name2(name)),
            &args,
        );
        let mut worst = 0.0f64;
        let mut at = (0.0, 0.0);
        for (&(a, b), &g) in args.iter().zip(&got) {
            let c = f.eval((a as f32) as f64, (b as f32) as f64) as f32 as f64;
            // devices flush f32 subnormal results to 0 (Vulkan allows it):
            // below the smallest normal f32, compare absolutely
            let e = if c.abs() < f32::MIN_POSITIVE as f64 && g.abs() < f32::MIN_POSITIVE as f64 {
                0.0
            } else {
                error(false, g, c)
            };
            if !(e <= worst) {
                worst = e;
                at = (a, b);
            }
        }
        eprintln!("f32 {name:<10} worst {worst:.2e} at {at:?} (tolerance {tol:.0e})");
        if !(worst <= tol) {
            failures.push(format!("{name}: {worst:e} at {at:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
