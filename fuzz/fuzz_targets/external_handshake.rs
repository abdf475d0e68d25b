//! The external session's handshake on arbitrary bytes: the answer the
//! runtime takes from a NEST or ANNarchy process (or anyone who connects to
//! its endpoint). It must return the hello or an error naming the cause,
//! never panic, never read past what the header announces.
//!
//!   cargo +nightly fuzz run external_handshake fuzz/corpus/external_handshake fuzz/seeds/external_handshake -- -max_total_time=600
#![no_main]

use brainstream_actors::external::parse_answer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_answer(data) {
        Ok(h) => {
            // a taken hello's header announced exactly its body
            let len = u64::from_le_bytes(data[44..52].try_into().unwrap());
            assert_eq!(len as usize + 64, data.len());
            let _ = format!("{h:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
