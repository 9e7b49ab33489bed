//! Central finite-difference checks (tsr's own `gradcheck`) of the layer builtins'
//! gradients on seeded random inputs: convolutions through overlapping windows, strides,
//! dilation, groups and padding; pools (max on values spaced well apart, so no window
//! has a near-tie); linear and the norms; `outer`, which is built from other ops.

mod common;

/// (name, setup, call): `call` is an expression over the setup's tensors; every tensor
/// listed in `wrt` is checked.
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "conv2d overlapping",
        "x = randn(2, 3, 6, 6)\nw = randn(4, 3, 3, 3)\nb = randn(4)",
        "conv2d(x, w, b, stride=1, padding=1)",
        "x, w, b",
    ),
    (
        "conv2d stride 2",
        "x = randn(2, 3, 7, 7)\nw = randn(2, 3, 3, 3)",
        "conv2d(x, w, stride=2)",
        "x, w",
    ),
    (
        "conv2d dilation pairs",
        "x = randn(1, 2, 7, 6)\nw = randn(3, 2, 2, 3)",
        "conv2d(x, w, stride=[1, 2], padding=[2, 1], dilation=[2, 1])",
        "x, w",
    ),
    (
        "conv2d groups",
        "x = randn(2, 4, 5, 5)\nw = randn(6, 2, 3, 3)\nb = randn(6)",
        "conv2d(x, w, b, groups=2, padding=1)",
        "x, w, b",
    ),
    (
        "conv2d same",
        "x = randn(3, 5, 4)\nw = randn(2, 3, 2, 2)",
        "conv2d(x, w, padding=\"same\")",
        "x, w",
    ),
    (
        "conv1d",
        "x = randn(2, 3, 9)\nw = randn(4, 3, 3)\nb = randn(4)",
        "conv1d(x, w, b, stride=2, padding=2, dilation=2)",
        "x, w, b",
    ),
    (
        "max_pool2d overlapping",
        "x = randperm(72).reshape(2, 1, 6, 6) * 0.1",
        "max_pool2d(x, 3, stride=1, padding=1)",
        "x",
    ),
    (
        "max_pool2d dilation ceil",
        "x = randperm(98).reshape(2, 7, 7) * 0.1",
        "max_pool2d(x, 2, stride=2, dilation=2, ceil_mode=True)",
        "x",
    ),
    (
        "avg_pool2d",
        "x = randn(2, 2, 6, 5)",
        "avg_pool2d(x, 3, stride=2, padding=1)",
        "x",
    ),
    (
        "avg_pool2d no pad count",
        "x = randn(2, 2, 6, 5)",
        "avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)",
        "x",
    ),
    (
        "adaptive_avg_pool2d",
        "x = randn(2, 2, 7, 5)",
        "adaptive_avg_pool2d(x, [3, 4])",
        "x",
    ),
    (
        "outer (unsqueeze, then mul)",
        "a = randn(4)\nb = randn(3)",
        "outer(a, b)",
        "a, b",
    ),
    (
        "linear",
        "x = randn(4, 5)\nw = randn(3, 5)\nb = randn(3)",
        "linear(x, w, b)",
        "x, w, b",
    ),
    (
        "layer_norm",
        "x = randn(3, 2, 4)\nw = randn(2, 4)\nb = randn(2, 4)",
        "layer_norm(x, [2, 4], w, b)",
        "x, w, b",
    ),
    (
        "batch_norm training",
        "x = randn(4, 3, 2)\nrm = zeros(3)\nrv = ones(3)\nw = randn(3)\nb = randn(3)",
        "batch_norm(x, rm, rv, w, b, training=True)",
        "x, w, b",
    ),
    (
        "group_norm",
        "x = randn(2, 4, 3)\nw = randn(4)\nb = randn(4)",
        "group_norm(x, 2, w, b)",
        "x, w, b",
    ),
];

#[test]
fn layer_gradients_match_finite_differences() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, setup, call, wrt) in CASES {
        let prog = format!(
            "seed(7)\n{setup}\nk = rand({call}.shape) + 0.5\ndef f():\n    return sum({call} * k)\nprint(gradcheck(f, {wrt}))\n"
        );
        let run = common::run_case(name, &prog, root);
        assert_eq!(run.exit, 0, "{name}: {}\n{prog}", run.stderr);
        assert_eq!(
            run.stdout.lines().last(),
            Some("True"),
            "{name}: gradcheck failed\n{}{}\n{prog}",
            run.stdout,
            run.stderr
        );
    }
}
