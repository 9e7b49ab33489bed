//! The data formats against files written by real numpy (`tests/fixtures/npy/gen.py`):
//! every dtype reads to the values numpy reads; what tsr writes is byte for byte what
//! `numpy.save` writes; archives round-trip; damaged files are errors, never panics. Also
//! CSV parsing, the chart renderers and the DOT writer on a very deep graph.

use ndarray::{ArrayD, IxDyn};
use std::collections::HashMap;
use std::path::PathBuf;
use tsr::data::{csv, dot, npy, npz, plot};
use tsr::tensor::{self, Tensor};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/npy")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load_npy(bytes: &[u8]) -> Result<ArrayD<f32>, String> {
    let h = npy::read_header(bytes)?;
    npy::read_data(&h, bytes)
}

fn load_member(archive: &[u8], name: &str) -> ArrayD<f32> {
    let entries = npz::entries(archive).unwrap();
    let e = entries
        .iter()
        .find(|e| e.array_name() == name)
        .unwrap_or_else(|| panic!("no member {name}"));
    load_npy(&npz::read(archive, e, 1 << 30).unwrap()).unwrap()
}

/// `values.txt`: file (or `archive:member`), shape, and the float32 values numpy read.
fn expected() -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let text = String::from_utf8(fixture("values.txt")).unwrap();
    text.lines()
        .map(|line| {
            let parts: Vec<&str> = line.split('\t').collect();
            let shape = parts[1]
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|d| d.parse().unwrap())
                .collect();
            let values = parts[2]
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(|v| v.parse::<f64>().unwrap() as f32)
                .collect();
            (parts[0].to_string(), shape, values)
        })
        .collect()
}

#[test]
fn every_fixture_reads_to_numpys_values() {
    let cases = expected();
    assert!(cases.len() >= 25, "only {} fixtures listed", cases.len());
    for (name, shape, values) in cases {
        let arr = match name.split_once(':') {
            Some((archive, member)) => load_member(&fixture(archive), member),
            None => load_npy(&fixture(&name)).unwrap_or_else(|e| panic!("{name}: {e}")),
        };
        assert_eq!(arr.shape(), shape.as_slice(), "{name}: shape");
        let got: Vec<f32> = arr.iter().copied().collect();
        assert_eq!(got.len(), values.len(), "{name}: count");
        for (i, (g, w)) in got.iter().zip(&values).enumerate() {
            assert!(
                g == w || (g.is_nan() && w.is_nan()),
                "{name}[{i}]: read {g}, numpy read {w}"
            );
        }
    }
}

#[test]
fn headers_say_what_numpy_wrote() {
    let h = npy::read_header(&fixture("f8_be.npy")).unwrap();
    assert_eq!(
        h.dtype,
        npy::Dtype {
            kind: b'f',
            size: 8,
            big_endian: true
        }
    );
    assert_eq!(h.shape, vec![2, 3]);
    assert!(!h.fortran_order);
    assert!(
        npy::read_header(&fixture("fortran.npy"))
            .unwrap()
            .fortran_order
    );
    assert_eq!(
        npy::read_header(&fixture("scalar.npy")).unwrap().shape,
        Vec::<usize>::new()
    );
    assert_eq!(
        npy::read_header(&fixture("v3.npy")).unwrap().data_offset % 64,
        0
    );
    // Fortran order is converted to C order: element [1, 2, 3] of arange(24).reshape(2, 3, 4).
    let f = load_npy(&fixture("fortran.npy")).unwrap();
    assert_eq!(f[[1, 2, 3]], 23.0);
    assert_eq!(f[[0, 1, 0]], 4.0);
}

#[test]
fn written_npy_is_byte_for_byte_numpys() {
    for name in [
        "f4_2x3.npy",
        "scalar.npy",
        "empty.npy",
        "vector.npy",
        "rank6.npy",
        "big_first_axis.npy",
    ] {
        let numpy_bytes = fixture(name);
        let arr = load_npy(&numpy_bytes).unwrap();
        assert_eq!(
            npy::write(&arr),
            numpy_bytes,
            "{name}: tsr's bytes differ from numpy.save's"
        );
    }
    // A transposed (non-contiguous) view is written in its logical C order.
    let arr = load_npy(&fixture("f4_2x3.npy")).unwrap();
    let t = arr.t().to_owned();
    assert_eq!(load_npy(&npy::write(&t)).unwrap(), t);
}

#[test]
fn written_npz_members_are_numpys_and_round_trip() {
    let numpy_archive = fixture("weights.npz");
    let w = load_member(&numpy_archive, "W");
    let b = load_member(&numpy_archive, "b");
    // numpy wrote W as <f4: the member's bytes equal what tsr writes for it.
    let entries = npz::entries(&numpy_archive).unwrap();
    let member = npz::read(&numpy_archive, &entries[0], 1 << 20).unwrap();
    assert_eq!(npy::write(&w), member);

    let ours = npz::write(&[
        ("W.npy".into(), npy::write(&w)),
        ("b.npy".into(), npy::write(&b)),
    ])
    .unwrap();
    let names: Vec<String> = npz::entries(&ours)
        .unwrap()
        .iter()
        .map(|e| e.array_name().to_string())
        .collect();
    assert_eq!(names, ["W", "b"]);
    assert_eq!(load_member(&ours, "W"), w);
    assert_eq!(load_member(&ours, "b"), b);
    // Deterministic: the same arrays give the same bytes.
    let again = npz::write(&[
        ("W.npy".into(), npy::write(&w)),
        ("b.npy".into(), npy::write(&b)),
    ])
    .unwrap();
    assert_eq!(ours, again);
}

#[test]
fn compressed_archives_inflate_in_stored_order() {
    let archive = fixture("weights_compressed.npz");
    let names: Vec<String> = npz::entries(&archive)
        .unwrap()
        .iter()
        .map(|e| e.array_name().to_string())
        .collect();
    assert_eq!(names, ["W", "b", "extra"]);
    let extra = load_member(&archive, "extra");
    assert_eq!(
        extra.iter().copied().collect::<Vec<f32>>(),
        (0..100).map(|i| i as f32).collect::<Vec<f32>>()
    );
}

#[test]
fn crc32_is_the_zip_one() {
    assert_eq!(npz::crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(npz::crc32(b""), 0);
}

#[test]
fn damaged_files_are_errors() {
    let e = load_npy(&fixture("truncated.npy")).unwrap_err();
    assert!(e.contains("truncated"), "{e}");
    assert!(load_npy(&fixture("truncated_header.npy"))
        .unwrap_err()
        .contains("truncated"));
    assert!(npy::read_header(&fixture("complex.npy"))
        .unwrap_err()
        .contains("unsupported dtype `<c8`"));
    assert!(npy::read_header(&fixture("strings.npy"))
        .unwrap_err()
        .contains("unsupported dtype"));
    // A dtype whose kind is not ASCII (found by tests/mutation.rs: it
    // panicked slicing the string inside the character).
    let mut f = fixture("f8_le.npy");
    let at = f.windows(3).position(|w| w == b"<f8").unwrap();
    f.splice(at + 1..at + 2, "ÿ".bytes());
    // One padding space fewer keeps the header's length.
    let pad = f.iter().position(|&c| c == b'\n').unwrap() - 1;
    assert_eq!(f[pad], b' ');
    f.remove(pad);
    let e = npy::read_header(&f).unwrap_err();
    assert!(e.contains("unsupported dtype"), "{e}");
    let bad = fixture("bad_crc.npz");
    let entries = npz::entries(&bad).unwrap();
    assert!(npz::read(&bad, &entries[0], 1 << 20)
        .unwrap_err()
        .contains("CRC-32"));
    assert!(npz::entries(&fixture("truncated.npz")).is_err());
    // A member larger than the caller allows is refused before it is inflated.
    let archive = fixture("weights_compressed.npz");
    let entries = npz::entries(&archive).unwrap();
    assert!(npz::read(&archive, &entries[2], 10)
        .unwrap_err()
        .contains("memory limit"));
}

#[test]
fn every_prefix_and_flipped_byte_is_an_error_or_a_value_never_a_panic() {
    for name in [
        "f8_le.npy",
        "fortran.npy",
        "v3.npy",
        "weights.npz",
        "weights_compressed.npz",
    ] {
        let bytes = fixture(name);
        for cut in 0..bytes.len() {
            let prefix = &bytes[..cut];
            if npz::is_zip(prefix) {
                if let Ok(entries) = npz::entries(prefix) {
                    for e in &entries {
                        if let Ok(data) = npz::read(prefix, e, 1 << 20) {
                            let _ = load_npy(&data);
                        }
                    }
                }
            } else {
                let _ = load_npy(prefix);
            }
        }
        for pos in 0..bytes.len() {
            let mut b = bytes.clone();
            b[pos] ^= 0x5A;
            if let Ok(entries) = npz::entries(&b) {
                for e in &entries {
                    if let Ok(data) = npz::read(&b, e, 1 << 20) {
                        let _ = load_npy(&data);
                    }
                }
            }
            if let Ok(h) = npy::read_header(&b) {
                // Only read data the size of which is sane (the interpreter checks the budget).
                if npy::numel(&h.shape).map(|n| n < 1 << 20).unwrap_or(false) {
                    let _ = npy::read_data(&h, &b);
                }
            }
        }
    }
}

#[test]
fn csv_reads_numbers_quotes_and_blank_lines() {
    let t = csv::parse("a,\"b, c\"\n1, 2\n\n-3e2,nan\n", true).unwrap();
    assert_eq!(t.columns, ["a", "b, c"]);
    assert_eq!((t.rows, t.cols), (2, 2));
    assert_eq!(t.values[..3], [1.0, 2.0, -300.0]);
    assert!(t.values[3].is_nan());
    let err = csv::parse("x,label\n1,2\n3,cat\n", true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 3, column 2 (`label`) is not a number: \"cat\""
    );
    let err = csv::parse("1,2\n3\n", false).unwrap_err();
    assert_eq!(
        err,
        csv::CsvError::Ragged {
            line: 2,
            found: 1,
            expected: 2
        }
    );
    assert!(matches!(
        csv::parse("a,b\n1,2\n", false),
        Err(csv::CsvError::NotNumber {
            first_row: true,
            ..
        })
    ));
    assert_eq!(csv::parse("", false), Err(csv::CsvError::Empty));
    let header_only = csv::parse("a,b\n", true).unwrap();
    assert_eq!((header_only.rows, header_only.cols), (0, 2));
}

#[test]
fn numbers_have_four_significant_digits_like_pythons_g() {
    // Python: '%.4g' % v
    let cases = [
        (2.30449, "2.304"),
        (0.05, "0.05"),
        (1234.5, "1234"),
        (12345.0, "1.234e+04"),
        (0.000123456, "0.0001235"),
        (1.2e-5, "1.2e-05"),
        (-0.5, "-0.5"),
        (0.0, "0"),
        (9.99999, "10"),
        (99999.0, "1e+05"),
    ];
    for (v, want) in cases {
        assert_eq!(plot::format_sig(v, 4), want, "{v}");
    }
}

#[test]
fn text_charts_have_a_fixed_size_and_are_deterministic() {
    let losses: Vec<f64> = (0..450)
        .map(|i| 2.3 * (-(i as f64) / 40.0).exp() + 0.01 * ((i * 7 % 11) as f64))
        .collect();
    let a = plot::text(std::slice::from_ref(&losses), &[], None).unwrap();
    let b = plot::text(std::slice::from_ref(&losses), &[], None).unwrap();
    assert_eq!(a, b);
    let lines: Vec<&str> = a.lines().collect();
    assert_eq!(lines.len(), plot::HEIGHT + 2);
    let axis = lines[plot::HEIGHT];
    assert!(axis.trim_start().starts_with('└'));
    assert_eq!(axis.trim_start().chars().count(), plot::WIDTH + 1);
    assert!(lines
        .iter()
        .take(plot::HEIGHT)
        .all(|l| l.chars().count() <= axis.chars().count()));
    assert!(lines[plot::HEIGHT + 1].trim_end().ends_with("449"));
    // Two series get a legend; not finite values are counted.
    let two = plot::text(
        &[losses.clone(), vec![1.0, f64::NAN, 0.5]],
        &["train".into(), "test".into()],
        None,
    )
    .unwrap();
    assert!(two.contains("── train   ══ test"));
    assert!(two.contains("(1 value not finite, not drawn)"));
    assert!(plot::text(&[vec![f64::NAN]], &[], None).is_err());
}

#[test]
fn svg_is_deterministic_and_well_formed() {
    let losses: Vec<f64> = (0..5000).map(|i| 1.0 / (1.0 + i as f64 / 100.0)).collect();
    let a = plot::svg(std::slice::from_ref(&losses), &[], Some("loss <train>")).unwrap();
    assert_eq!(
        a,
        plot::svg(std::slice::from_ref(&losses), &[], Some("loss <train>")).unwrap()
    );
    assert!(a.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(a.ends_with("</svg>\n"));
    assert!(a.contains("loss &lt;train&gt;"));
    assert_eq!(a.matches("<polyline").count(), 1);
    let points = a
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(
        points.split(' ').count(),
        2000,
        "long series are thinned to 2000 points"
    );
    let two = plot::svg(&[vec![3.0, 2.0, 1.0], vec![2.5, 2.0, 1.5]], &[], None).unwrap();
    assert_eq!(two.matches("<polyline").count(), 2);
    assert!(two.contains(">series 1</text>"));
}

#[test]
fn dot_walks_a_million_deep_graph_without_recursion() {
    let mut y = Tensor::leaf(ArrayD::from_elem(IxDyn(&[]), 1.0f32));
    let x = y.clone();
    for _ in 0..1_000_000 {
        y = tensor::unary(tensor::UnaryOp::Tanh, &y);
    }
    let store = tensor::backward(&y).unwrap();
    let mut names = HashMap::new();
    names.insert(x.id(), "x".to_string());
    let text = dot::dot(&y, Some(&store), &names);
    assert!(text.starts_with("digraph tsr {\n"));
    assert_eq!(text.matches(" -> ").count(), 1_000_000);
    assert!(text.contains("n0 [label=\"tanh\\n[]\\ngrad norm 1\"];"));
    assert!(text.contains("n1000000 [label=\"x\\n[]\\ngrad norm "));
    drop(store);
    drop(text);
}

#[test]
fn dot_numbers_shared_inputs_once() {
    let a = Tensor::leaf(ArrayD::from_elem(IxDyn(&[2]), 1.0f32));
    let b = tensor::binary(tensor::BinaryOp::Mul, &a, &a).unwrap();
    let text = dot::dot(&b, None, &HashMap::new());
    assert_eq!(
        text,
        "digraph tsr {\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f0f0f0\", fontname=\"monospace\"];\n  n0 [label=\"mul\\n[2]\"];\n  n1 [label=\"leaf\\n[2]\", fillcolor=\"#cfe2f3\"];\n  n1 -> n0 [label=\"1\"];\n  n1 -> n0 [label=\"2\"];\n}\n"
    );
}
