//! HDF5 written the way netCDF-4 lays out dimensions, so that
//! `xarray.open_dataset(path, engine="h5netcdf")`, netCDF tools and h5py
//! all read our files with named dimensions and coordinates.
//!
//! A dimension is an HDF5 *dimension scale* (`H5DSset_scale`): a 1-D
//! dataset named after it, holding its coordinate values (times in ms,
//! variable names, region labels), or — for a dimension without
//! coordinates, like the index of a spike — an unwritten dataset of the
//! dimension's length marked as netCDF marks such dimensions. Every
//! dataset of a group has each of its axes attached to a scale
//! (`H5DSattach_scale`), which is what h5netcdf requires. The two calls
//! are HDF5's high-level library (`libhdf5_hl`, in Debian's
//! `libhdf5-dev` beside `libhdf5`); everything else goes through
//! hdf5-metno.

use std::ffi::{c_char, c_int, c_uint, c_void, CString};

use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, Group, Location};

#[link(name = "hdf5_hl")]
extern "C" {
    fn H5DSset_scale(dsid: i64, dimname: *const c_char) -> c_int;
    fn H5DSattach_scale(did: i64, dsid: i64, idx: c_uint) -> c_int;
}

// libhdf5 itself (linked by hdf5-metno-sys): the calls of [`write_strings`]
extern "C" {
    fn H5Pcreate(class: i64) -> i64;
    fn H5Pset_buffer(plist: i64, size: usize, tconv: *mut c_void, bkg: *mut c_void) -> c_int;
    fn H5Pclose(plist: i64) -> c_int;
    fn H5Dwrite(
        dset: i64,
        mem_type: i64,
        mem_space: i64,
        file_space: i64,
        xfer: i64,
        buf: *const c_void,
    ) -> c_int;
}

/// `H5S_ALL`: the whole dataspace.
const H5S_ALL: i64 = 0;
/// Bytes of conversion buffer per string: a variable-length string is 8
/// bytes in memory (a pointer) and 16 in the file (length, heap address
/// and index); HDF5 needs room for both sizes.
const VLEN_CONV_BYTES: usize = 16;

/// What netCDF-4 names a dimension that has no coordinate variable.
const DIMENSION_ONLY: &str = "This is a netCDF dimension but not a netCDF variable.";

/// Marks `ds` as the scale of dimension `name`.
pub fn set_scale(ds: &Dataset, name: &str) -> hdf5::Result<()> {
    let c = CString::new(name).map_err(|_| hdf5::Error::from("a NUL in a dimension name"))?;
    // libhdf5 is not thread-safe: every call goes through hdf5-metno's lock
    let r = hdf5::sync::sync(|| unsafe { H5DSset_scale(ds.id(), c.as_ptr()) });
    if r < 0 {
        return Err(format!("cannot make {} a dimension scale", ds.name()).into());
    }
    Ok(())
}

/// Attaches `scales[k]` to axis `k` of `ds` (one scale per axis).
pub fn attach(ds: &Dataset, scales: &[&Dataset]) -> hdf5::Result<()> {
    for (k, s) in scales.iter().enumerate() {
        let r = hdf5::sync::sync(|| unsafe { H5DSattach_scale(ds.id(), s.id(), k as c_uint) });
        if r < 0 {
            return Err(format!("cannot attach {} to axis {k} of {}", s.name(), ds.name()).into());
        }
    }
    Ok(())
}

/// A dimension `name` without coordinate values, `len` long (resizable
/// without limit when `growing`): a dataset that is never written, so it
/// takes no disk space beyond its header.
pub fn dimension_only(loc: &Group, name: &str, len: usize, growing: bool) -> hdf5::Result<Dataset> {
    let b = loc.new_dataset::<f32>();
    let ds = if growing {
        b.chunk(4096).shape(len..).create(name)?
    } else {
        b.shape(len).create(name)?
    };
    set_scale(&ds, &format!("{DIMENSION_ONLY}{len:>10}"))?;
    Ok(ds)
}

fn vlen(v: &str) -> hdf5::Result<VarLenUnicode> {
    v.replace('\0', " ")
        .parse::<VarLenUnicode>()
        .map_err(|e| format!("{e:?}").into())
}

/// A UTF-8 string attribute.
pub fn str_attr(loc: &Location, name: &str, v: &str) -> hdf5::Result<()> {
    let s = vlen(v)?;
    if loc.attr(name).is_ok() {
        return loc.attr(name)?.write_scalar(&s);
    }
    loc.new_attr::<VarLenUnicode>()
        .create(name)?
        .write_scalar(&s)
}

/// A list-of-strings attribute.
pub fn str_list_attr(loc: &Location, name: &str, v: &[String]) -> hdf5::Result<()> {
    let list: Vec<VarLenUnicode> = v.iter().map(|s| vlen(s)).collect::<Result<_, _>>()?;
    loc.new_attr::<VarLenUnicode>()
        .shape(list.len())
        .create(name)?
        .write(&list)
}

/// A float attribute.
pub fn f64_attr(loc: &Location, name: &str, v: f64) -> hdf5::Result<()> {
    if loc.attr(name).is_ok() {
        return loc.attr(name)?.write_scalar(&v);
    }
    loc.new_attr::<f64>().create(name)?.write_scalar(&v)
}

/// A 1-D dataset of strings.
pub fn str_dataset(loc: &Group, name: &str, v: &[String]) -> hdf5::Result<Dataset> {
    let list: Vec<VarLenUnicode> = v.iter().map(|s| vlen(s)).collect::<Result<_, _>>()?;
    let d = loc
        .new_dataset::<VarLenUnicode>()
        .shape(list.len())
        .create(name)?;
    write_strings(&d, &list)?;
    Ok(d)
}

/// Writes the whole of a 1-D dataset of variable-length strings, with a
/// conversion buffer sized to them. Strings always go through HDF5's type
/// conversion, and with the default transfer properties (what
/// `Dataset::write` uses) each write allocates and zero-fills a conversion
/// and a background buffer of 1 MiB each (`H5Pset_buffer`'s default): 38 of
/// them, 38 MB of `memset` and their page faults, in a one-step run of the
/// default graph, a fifth of its CPU time. The same bytes reach the file.
fn write_strings(d: &Dataset, list: &[VarLenUnicode]) -> hdf5::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let mem_type = hdf5::Datatype::from_type::<VarLenUnicode>()?;
    let class = *hdf5::globals::H5P_DATASET_XFER;
    let size = (list.len() * VLEN_CONV_BYTES).min(1 << 20);
    // libhdf5 is not thread-safe: every call goes through hdf5-metno's lock
    let r = hdf5::sync::sync(|| unsafe {
        let xfer = H5Pcreate(class);
        if xfer < 0 {
            return -1;
        }
        let mut r = H5Pset_buffer(xfer, size, std::ptr::null_mut(), std::ptr::null_mut());
        if r >= 0 {
            r = H5Dwrite(
                d.id(),
                mem_type.id(),
                H5S_ALL,
                H5S_ALL,
                xfer,
                list.as_ptr().cast(),
            );
        }
        H5Pclose(xfer);
        r
    });
    if r < 0 {
        return Err(format!("cannot write the strings of {}", d.name()).into());
    }
    Ok(())
}

/// A coordinate: a 1-D dataset of strings that is the scale of its own
/// dimension.
pub fn str_coordinate(loc: &Group, name: &str, v: &[String]) -> hdf5::Result<Dataset> {
    let d = str_dataset(loc, name, v)?;
    set_scale(&d, name)?;
    Ok(d)
}

/// A dataset of floats of the given shape (C order), with `units`.
pub fn f64_dataset(
    loc: &Group,
    name: &str,
    shape: &[usize],
    values: &[f64],
    units: &str,
) -> hdf5::Result<Dataset> {
    let d = loc.new_dataset::<f64>().shape(shape).create(name)?;
    let a = ndarray::ArrayView::from_shape(shape, values).map_err(|e| e.to_string())?;
    d.write(a)?;
    if !units.is_empty() {
        str_attr(&d, "units", units)?;
    }
    Ok(d)
}
