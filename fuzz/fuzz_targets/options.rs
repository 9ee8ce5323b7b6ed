//! Address and option parsing: `SSDB` values and single addresses (client), and the module's load-time
//! arguments (`KEY VALUE ...`, newline separated). The first byte picks the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smartredis_ai::config::Config;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 3 {
        0 => drop(smartredis::parse_ssdb(&text)),
        1 => drop(smartredis::Address::parse(&text)),
        _ => {
            let args: Vec<String> = text.split('\n').map(str::to_string).collect();
            drop(Config::default().apply_load_args(&args));
        }
    }
});
