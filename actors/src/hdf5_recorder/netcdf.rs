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

use std::ffi::{c_char, c_int, c_uint, CString};

use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, Group, Location};

#[link(name = "hdf5_hl")]
extern "C" {
    fn H5DSset_scale(dsid: i64, dimname: *const c_char) -> c_int;
    fn H5DSattach_scale(did: i64, dsid: i64, idx: c_uint) -> c_int;
}

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
    loc.new_dataset::<VarLenUnicode>()
        .shape(list.len())
        .create(name)
        .and_then(|d| d.write(&list).map(|()| d))
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
