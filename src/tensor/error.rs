//! Plain-data errors of the tensor core; the interpreter attaches spans and help.

use std::fmt;

/// Why a matrix product's shapes do not fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatMulKind {
    /// The contracted dimensions differ (`lhs[-1] != rhs[-2]`, or `rhs[0]` for a vector).
    Inner,
    /// One operand is 0-d (a scalar); `@` needs at least one axis on each side.
    ZeroDim,
    /// The batch dimensions (all but the last two) do not broadcast.
    Batch,
}

/// Why a reshape spec is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReshapeReason {
    /// The element counts differ.
    Size,
    /// More than one `-1`.
    TwoInferred,
    /// A negative entry other than `-1`.
    Negative,
    /// `-1` cannot be inferred (the other entries multiply to zero, or do not divide the size).
    CannotInfer,
}

/// Why a `cat`/`stack` fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatKind {
    /// No tensors were given.
    Empty,
    /// Tensor `which` has a different rank from tensor 0.
    Rank,
    /// Tensor `which` differs from tensor 0 along an axis other than the joined one (for
    /// `stack`: along any axis).
    Size,
}

/// Why a class-index target is invalid for `cross_entropy`.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassTargetKind {
    /// A class index outside `0..classes`.
    OutOfRange {
        position: usize,
        value: f32,
        classes: usize,
        /// Every index is a whole number in `1..=classes`: labels counted from 1.
        one_based: bool,
    },
    /// A value that is not a whole number.
    NotInteger { position: usize, value: f32 },
}

/// Why `grad(t)` has no gradient for `t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotReachedWhy {
    /// `t` is a constant (a number turned into a tensor): constants get no gradient.
    Constant,
    /// `t` was created after that `backward` ran.
    CreatedAfter,
    /// The loss does not depend on `t` (or only through values that left the graph:
    /// `item`, `detach`, `argmax`).
    NotAncestor,
    /// The loss depends on `t` only through the named op's input that has no gradient
    /// (a comparison, or the class indices of `cross_entropy`).
    Through(&'static str),
}

/// Misuse of a math op (reductions over lists of axes, `topk`, the losses' options).
#[derive(Clone, Debug, PartialEq)]
pub enum MathError {
    /// `topk` of more values than the axis has (or fewer than 0).
    TopK {
        shape: Vec<usize>,
        axis: usize,
        k: i64,
    },
    /// The same axis twice in a list of axes.
    RepeatedAxis { shape: Vec<usize>, axis: usize },
    /// A class `weight` whose length is not the number of classes.
    ClassWeight {
        loss: &'static str,
        classes: usize,
        given: usize,
    },
    /// `reduction="batchmean"` for a loss other than `kl_div`.
    BatchMean { loss: &'static str },
}

#[derive(Clone, Debug, PartialEq)]
pub enum TensorError {
    /// Two shapes do not broadcast; `lhs_axis`/`rhs_axis` are the first mismatching axes
    /// (scanning from the right), each in its own operand's indexing.
    Broadcast {
        lhs: Vec<usize>,
        rhs: Vec<usize>,
        lhs_axis: usize,
        rhs_axis: usize,
    },
    /// An in-place update whose value broadcasts to a larger shape than the target.
    InPlace {
        target: Vec<usize>,
        value: Vec<usize>,
    },
    MatMul {
        lhs: Vec<usize>,
        rhs: Vec<usize>,
        kind: MatMulKind,
    },
    Reshape {
        from: Vec<usize>,
        spec: Vec<isize>,
        reason: ReshapeReason,
    },
    /// An axis out of range for a tensor of `ndim` axes.
    Axis {
        axis: isize,
        ndim: usize,
    },
    /// `squeeze` of an axis whose size is not 1.
    Squeeze {
        axis: usize,
        size: usize,
    },
    IndexOutOfRange {
        axis: usize,
        index: isize,
        size: usize,
    },
    TooManyIndices {
        given: usize,
        ndim: usize,
    },
    Cat {
        axis: isize,
        shapes: Vec<Vec<usize>>,
        which: usize,
        kind: CatKind,
    },
    LossShape {
        loss: &'static str,
        pred: Vec<usize>,
        target: Vec<usize>,
    },
    ClassTarget {
        kind: ClassTargetKind,
    },
    /// `backward` of a tensor that does not have exactly one element.
    NotScalar {
        shape: Vec<usize>,
    },
    /// Backward through `op`, whose saved input (or own output) changed in place after
    /// the op was built.
    Stale {
        op: &'static str,
        /// The id of the tensor that changed.
        tensor: u64,
        input_version: u64,
        now_version: u64,
    },
    /// `grad` before any `backward`.
    NoBackward,
    NotReached {
        why: NotReachedWhy,
    },
    /// A tensor larger than the budget; `bytes` is `None` when the size overflows.
    TooLarge {
        shape: Vec<usize>,
        bytes: Option<u64>,
        budget: u64,
    },
    /// Allocating `bytes` more (a tensor of `shape`) would take the live tensors (`live`
    /// bytes now) past the memory budget.
    OutOfMemory {
        shape: Vec<usize>,
        bytes: u64,
        live: u64,
        budget: u64,
    },
    /// A result with more than 16 axes.
    Rank {
        ndim: usize,
    },
    Value(String),
    Math(MathError),
    /// A layer op's arguments do not fit (`conv2d`, pooling, `linear`, norms).
    Layer(Box<LayerError>),
    /// A value of index tensor (item) `item` that is not a whole number, or out of range
    /// for `axis` of `size`; `position` is where it stands in that tensor.
    IndexValue {
        item: usize,
        position: Vec<usize>,
        value: f32,
        axis: usize,
        size: usize,
    },
    /// A mask (index item `item`) whose shape differs from the axes it indexes.
    MaskShape {
        item: usize,
        mask: Vec<usize>,
        indexed: Vec<usize>,
        axis: usize,
    },
    /// Index tensors whose shapes do not broadcast together.
    IndexBroadcast {
        shapes: Vec<Vec<usize>>,
    },
    /// An op's shape rule failed: `code` (`shape::...`) and a message naming the shapes,
    /// with a fix when one is certain.
    OpShape {
        code: &'static str,
        msg: String,
        help: Option<String>,
    },
}

impl TensorError {
    /// `OpShape` without a fix.
    pub fn op_shape(code: &'static str, msg: String) -> TensorError {
        TensorError::OpShape {
            code,
            msg,
            help: None,
        }
    }
}

/// Writes a shape as `[4, 3]`.
pub struct ShapeFmt<'a>(pub &'a [usize]);

impl fmt::Display for ShapeFmt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TensorError::*;
        match self {
            Broadcast { lhs, rhs, lhs_axis, rhs_axis } => write!(
                f,
                "shapes {} and {} do not broadcast: axis {} of the left has size {}, axis {} of the right has size {}",
                ShapeFmt(lhs), ShapeFmt(rhs), lhs_axis, lhs[*lhs_axis], rhs_axis, rhs[*rhs_axis]
            ),
            InPlace { target, value } => write!(
                f,
                "cannot update a tensor of shape {} in place with a value of shape {}: the result would have a different shape",
                ShapeFmt(target), ShapeFmt(value)
            ),
            MatMul { lhs, rhs, kind } => match kind {
                MatMulKind::Inner => write!(
                    f,
                    "matrix product of {} with {}: inner dimensions differ ({} vs {})",
                    ShapeFmt(lhs),
                    ShapeFmt(rhs),
                    lhs.last().copied().unwrap_or(0),
                    if rhs.len() >= 2 { rhs[rhs.len() - 2] } else { rhs.first().copied().unwrap_or(0) }
                ),
                MatMulKind::ZeroDim => write!(
                    f,
                    "matrix product of {} with {}: both operands need at least one axis",
                    ShapeFmt(lhs), ShapeFmt(rhs)
                ),
                MatMulKind::Batch => write!(
                    f,
                    "matrix product of {} with {}: batch dimensions do not broadcast",
                    ShapeFmt(lhs), ShapeFmt(rhs)
                ),
            },
            Reshape { from, spec, reason } => {
                let spec_s: Vec<String> = spec.iter().map(|d| d.to_string()).collect();
                let spec_s = format!("[{}]", spec_s.join(", "));
                match reason {
                    ReshapeReason::Size => {
                        let n: usize = from.iter().product();
                        let m: i128 = spec.iter().map(|&d| d as i128).product();
                        write!(f, "cannot reshape {} ({} elements) to {} ({} elements)", ShapeFmt(from), n, spec_s, m)
                    }
                    ReshapeReason::TwoInferred => {
                        write!(f, "cannot reshape {} to {}: only one dimension can be -1", ShapeFmt(from), spec_s)
                    }
                    ReshapeReason::Negative => {
                        write!(f, "cannot reshape {} to {}: negative dimension", ShapeFmt(from), spec_s)
                    }
                    ReshapeReason::CannotInfer => write!(
                        f,
                        "cannot reshape {} ({} elements) to {}: the -1 cannot be inferred",
                        ShapeFmt(from),
                        from.iter().product::<usize>(),
                        spec_s
                    ),
                }
            }
            Axis { axis, ndim } => {
                if *ndim == 0 {
                    write!(f, "axis {axis} is out of range for a 0-d tensor")
                } else {
                    write!(
                        f,
                        "axis {} is out of range for a tensor with {} axes (valid: {} to {})",
                        axis,
                        ndim,
                        -(*ndim as isize),
                        *ndim as isize - 1
                    )
                }
            }
            Squeeze { axis, size } => write!(f, "cannot squeeze axis {axis} of size {size}: only axes of size 1 can be squeezed"),
            IndexOutOfRange { axis, index, size } => {
                write!(f, "index {index} is out of range for axis {axis} of size {size}")
            }
            TooManyIndices { given, ndim } => {
                write!(f, "too many indices: {given} given for a tensor with {ndim} axes")
            }
            Cat { axis, shapes, which, kind } => match kind {
                CatKind::Empty => write!(f, "cannot join an empty list of tensors"),
                CatKind::Rank => write!(
                    f,
                    "cannot join tensors of different ranks: tensor 0 has shape {}, tensor {} has shape {}",
                    ShapeFmt(&shapes[0]),
                    which,
                    ShapeFmt(&shapes[*which])
                ),
                CatKind::Size => write!(
                    f,
                    "cannot join along axis {}: tensor 0 has shape {}, tensor {} has shape {}",
                    axis,
                    ShapeFmt(&shapes[0]),
                    which,
                    ShapeFmt(&shapes[*which])
                ),
            },
            LossShape { loss, pred, target } => write!(
                f,
                "`{}` needs matching shapes, got {} and {}",
                loss,
                ShapeFmt(pred),
                ShapeFmt(target)
            ),
            ClassTarget { kind } => match kind {
                ClassTargetKind::OutOfRange { position, value, classes, .. } => write!(
                    f,
                    "class index {value} at position {position} is out of range for {classes} classes"
                ),
                ClassTargetKind::NotInteger { position, value } => {
                    write!(f, "class index {value} at position {position} is not a whole number")
                }
            },
            NotScalar { shape } => write!(
                f,
                "`backward` needs a tensor with one element, got shape {}",
                ShapeFmt(shape)
            ),
            Stale { op, input_version, now_version, .. } => write!(
                f,
                "cannot backpropagate through `{op}`: a tensor it saved was modified in place after it was computed (version {input_version}, now {now_version})"
            ),
            NoBackward => write!(f, "no gradients yet: call `backward` first"),
            NotReached { why } => match why {
                NotReachedWhy::Constant => write!(f, "constants have no gradient"),
                NotReachedWhy::CreatedAfter => {
                    write!(f, "this tensor was created after the last `backward`")
                }
                NotReachedWhy::NotAncestor => write!(
                    f,
                    "the last `backward` did not reach this tensor: the loss does not depend on it through differentiable operations"
                ),
                NotReachedWhy::Through(op) => write!(
                    f,
                    "the last `backward` did not reach this tensor: the loss uses it only through `{op}`, which has no gradient"
                ),
            },
            TooLarge { shape, bytes, budget } => match bytes {
                Some(b) => write!(
                    f,
                    "a tensor of shape {} needs {} bytes, over the budget of {} bytes",
                    ShapeFmt(shape), b, budget
                ),
                None => write!(f, "a tensor of shape {} is too large: its size overflows", ShapeFmt(shape)),
            },
            OutOfMemory { shape, bytes, live, budget } => write!(
                f,
                "a tensor of shape {} needs {bytes} bytes, but live tensors hold {live} of the budget of {budget} bytes",
                ShapeFmt(shape)
            ),
            Rank { ndim } => write!(f, "tensors have at most 16 axes, this result would have {ndim}"),
            Value(s) => write!(f, "{s}"),
            Math(m) => match m {
                MathError::TopK { shape, axis, k } => write!(
                    f,
                    "`topk` asks for k = {k} values, but axis {axis} of shape {} has {}",
                    ShapeFmt(shape),
                    shape.get(*axis).copied().unwrap_or(1)
                ),
                MathError::RepeatedAxis { axis, .. } => {
                    write!(f, "axis {axis} appears more than once in the list of axes")
                }
                MathError::ClassWeight { loss, classes, given } => write!(
                    f,
                    "`{loss}` has a `weight` of {given} values for {classes} classes"
                ),
                MathError::BatchMean { loss } => {
                    write!(f, "`{loss}` has no reduction \"batchmean\" (only `kl_div` does)")
                }
            },
            IndexValue { position, value, axis, size, .. } => {
                if value.is_finite() && value.fract() == 0.0 {
                    write!(f, "index {value} at position {} is out of range for axis {axis} of size {size}", ShapeFmt(position))
                } else {
                    write!(f, "index {value} at position {} is not a whole number", ShapeFmt(position))
                }
            }
            MaskShape { mask, indexed, axis, .. } => write!(
                f,
                "a mask of shape {} does not match the indexed shape {} (from axis {axis})",
                ShapeFmt(mask), ShapeFmt(indexed)
            ),
            OpShape { msg, .. } => write!(f, "{msg}"),
            IndexBroadcast { shapes } => {
                let s: Vec<String> = shapes.iter().map(|s| ShapeFmt(s).to_string()).collect();
                write!(f, "index tensors of shapes {} do not broadcast together", s.join(", "))
            }
            Layer(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TensorError {}

/// Why a layer op's arguments do not fit (plain data; `runtime/explain/layers.rs` words it).
#[derive(Clone, Debug, PartialEq)]
pub enum LayerError {
    /// The input (or `arg`) has the wrong rank; `want` says what is expected.
    Rank {
        op: &'static str,
        arg: &'static str,
        want: &'static str,
        shape: Vec<usize>,
    },
    /// The input's channel axis `axis` has `have` channels, the weight expects `want`.
    Channels {
        op: &'static str,
        input: Vec<usize>,
        weight: Vec<usize>,
        axis: usize,
        have: usize,
        want: usize,
    },
    /// `groups` does not divide the input or output channels.
    Groups {
        op: &'static str,
        groups: usize,
        channels: usize,
        what: &'static str,
    },
    /// A window (kernel, after dilation) larger than the padded input along `axis`.
    Window {
        op: &'static str,
        input: Vec<usize>,
        axis: usize,
        padded: usize,
        window: usize,
    },
    /// Pooling padding over half the kernel.
    Padding {
        op: &'static str,
        pad: usize,
        kernel: usize,
    },
    /// `linear`: the weight's `in` size does not match the input's last axis.
    Linear {
        input: Vec<usize>,
        weight: Vec<usize>,
        transposed: bool,
    },
    /// A parameter tensor (`weight`, `bias`, `running_mean`, ...) of the wrong shape.
    Param {
        op: &'static str,
        arg: &'static str,
        shape: Vec<usize>,
        want: Vec<usize>,
    },
    /// `layer_norm`'s normalized_shape is not the input's trailing shape.
    NormShape {
        input: Vec<usize>,
        normalized: Vec<usize>,
    },
}

impl fmt::Display for LayerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerError::Rank { op, arg, want, shape } => write!(
                f,
                "`{op}` needs {arg} of shape {want}, got {} ({} axes)",
                ShapeFmt(shape),
                shape.len()
            ),
            LayerError::Channels { op, input, weight, axis, have, want } => write!(
                f,
                "`{op}`: the input {} has {have} channels on axis {axis}, the weight {} expects {want}",
                ShapeFmt(input),
                ShapeFmt(weight)
            ),
            LayerError::Groups { op, groups, channels, what } => write!(
                f,
                "`{op}`: {what} channels {channels} are not divisible by groups={groups}"
            ),
            LayerError::Window { op, input, axis, padded, window } => write!(
                f,
                "`{op}`: the window of size {window} is larger than axis {axis} of the input {} (size {padded} with padding)",
                ShapeFmt(input)
            ),
            LayerError::Padding { op, pad, kernel } => write!(
                f,
                "`{op}`: padding {pad} is more than half the kernel size {kernel}"
            ),
            LayerError::Linear { input, weight, .. } => write!(
                f,
                "`linear` of {} with weight {}: the weight is [out, in] and needs in = {}",
                ShapeFmt(input),
                ShapeFmt(weight),
                input.last().copied().unwrap_or(0)
            ),
            LayerError::Param { op, arg, shape, want } => write!(
                f,
                "`{op}`: {arg} has shape {}, expected {}",
                ShapeFmt(shape),
                ShapeFmt(want)
            ),
            LayerError::NormShape { input, normalized } => write!(
                f,
                "`layer_norm`: normalized_shape {} is not the end of the input shape {}",
                ShapeFmt(normalized),
                ShapeFmt(input)
            ),
        }
    }
}
