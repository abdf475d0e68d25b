//! Small helpers shared by actor kinds.

use brainstream_runtime::{ActorError, Inputs, Series};

/// The series on `port`, if one arrived.
pub fn series<'a>(inputs: &'a Inputs, port: &str) -> Result<Option<&'a Series>, ActorError> {
    match inputs.get(port) {
        None => Ok(None),
        Some(p) => p
            .as_series()
            .map(Some)
            .ok_or_else(|| ActorError::new(format!("port `{port}` expected a series"))),
    }
}

/// Checks that a series has one sample per step, consecutively from the
/// previous one (`last` is the previous stamp, updated).
pub fn check_consecutive(s: &Series, last: &mut Option<u64>, who: &str) -> Result<(), ActorError> {
    for &k in &s.stamps {
        if let Some(l) = *last {
            if k != l + 1 {
                return Err(ActorError::new(format!(
                    "{who} needs one sample per integration step, got step {k} after step {l}; connect it to a raw state output"
                )));
            }
        }
        *last = Some(k);
    }
    Ok(())
}
