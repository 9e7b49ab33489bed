//! The modules a notebook imports, as namespaces over tsr's own builtins: `numpy`,
//! `torch`, `torch.nn.functional`, `math`, ... Each member is a builtin under the
//! name that library uses (`np.dot` is `matmul`), a constant, or a submodule. A name
//! the library has but tsr lacks is a diagnostic naming tsr's nearest builtin.

use crate::runtime::value::{Builtins, Value};

pub use crate::runtime::value::{Member, Module};

use Member::{Builtin as B, Const, Dtype, NoneConst, Sub};

pub static NUMPY_RANDOM: Module = Module {
    name: "numpy.random",
    members: &[
        ("randn", B("randn")),
        ("rand", B("rand")),
        ("seed", B("seed")),
        ("randint", B("randint")),
        ("permutation", B("randperm")),
        ("normal", B("normal")),
    ],
    open: false,
    prelude: None,
};

pub static NUMPY_LINALG: Module = Module {
    name: "numpy.linalg",
    members: &[("norm", B("norm"))],
    open: false,
    prelude: None,
};

pub static NUMPY: Module = Module {
    name: "numpy",
    members: &[
        ("array", B("tensor")),
        ("asarray", B("tensor")),
        ("dot", B("matmul")),
        ("clip", B("clamp")),
        ("concatenate", B("cat")),
        ("random", Sub(&NUMPY_RANDOM)),
        ("pi", Const(std::f64::consts::PI)),
        ("e", Const(std::f64::consts::E)),
        ("inf", Const(f64::INFINITY)),
        ("nan", Const(f64::NAN)),
        ("newaxis", NoneConst),
        ("float32", Dtype("float32")),
        ("float64", Dtype("float64")),
        ("int64", Dtype("int64")),
        ("absolute", B("abs")),
        ("std", B("np.std")),
        ("allclose", B("allclose")),
        ("sort", B("np.sort")),
        ("median", B("np.median")),
        ("var", B("np.var")),
        ("linalg", Sub(&NUMPY_LINALG)),
        ("power", B("pow")),
        ("amax", B("amax")),
        ("amin", B("amin")),
        ("nonzero", B("np.nonzero")),
    ],
    open: true,
    prelude: None,
};

pub static TORCH_FUNCTIONAL: Module = Module {
    name: "torch.nn.functional",
    members: &[],
    open: true,
    prelude: None,
};

pub static TORCH_INIT: Module = Module {
    name: "torch.nn.init",
    members: &[],
    open: false,
    prelude: Some(include_str!("prelude/init.tsr")),
};

pub static TORCH_NN_UTILS: Module = Module {
    name: "torch.nn.utils",
    members: &[
        ("clip_grad_norm_", B("clip_grad_norm_")),
        ("clip_grad_norm", B("clip_grad_norm")),
    ],
    open: false,
    prelude: None,
};

pub static TORCH_LINALG: Module = Module {
    name: "torch.linalg",
    members: &[("norm", B("norm")), ("vector_norm", B("norm"))],
    open: false,
    prelude: None,
};

pub static TORCH_NN: Module = Module {
    name: "torch.nn",
    members: &[
        ("functional", Sub(&TORCH_FUNCTIONAL)),
        ("init", Sub(&TORCH_INIT)),
        ("utils", Sub(&TORCH_NN_UTILS)),
    ],
    open: false,
    prelude: Some(include_str!("prelude/nn.tsr")),
};

pub static TORCH_LR_SCHEDULER: Module = Module {
    name: "torch.optim.lr_scheduler",
    members: &[],
    open: false,
    prelude: Some(include_str!("prelude/lr_scheduler.tsr")),
};

pub static TORCH_DATA: Module = Module {
    name: "torch.utils.data",
    members: &[],
    open: false,
    prelude: Some(include_str!("prelude/data.tsr")),
};

pub static TORCH_UTILS: Module = Module {
    name: "torch.utils",
    members: &[("data", Sub(&TORCH_DATA))],
    open: false,
    prelude: None,
};

pub static TORCH_OPTIM: Module = Module {
    name: "torch.optim",
    members: &[
        ("lr_scheduler", Sub(&TORCH_LR_SCHEDULER)),
        ("SGD", B("sgd")),
        ("Adam", B("adam")),
        ("AdamW", B("adamw")),
        ("RMSprop", B("rmsprop")),
    ],
    open: false,
    prelude: None,
};

pub static TORCH_CUDA: Module = Module {
    name: "torch.cuda",
    members: &[("is_available", B("torch.cuda.is_available"))],
    open: false,
    prelude: None,
};

pub static TORCH: Module = Module {
    name: "torch",
    members: &[
        ("nn", Sub(&TORCH_NN)),
        ("utils", Sub(&TORCH_UTILS)),
        ("linalg", Sub(&TORCH_LINALG)),
        ("max", B("torch.max")),
        ("load", B("torch.load")),
        ("Tensor", B("tensor")),
        ("allclose", B("allclose")),
        ("cuda", Sub(&TORCH_CUDA)),
        ("device", B("torch.device")),
        ("mm", B("matmul")),
        ("bmm", B("matmul")),
        ("dot", B("matmul")),
        ("min", B("torch.min")),
        ("optim", Sub(&TORCH_OPTIM)),
        ("Generator", B("generator")),
        ("as_tensor", B("tensor")),
        ("from_numpy", B("tensor")),
        ("float32", Dtype("float32")),
        ("float", Dtype("float32")),
        ("float64", Dtype("float64")),
        ("long", Dtype("int64")),
        ("int", Dtype("int32")),
        ("double", Dtype("float64")),
        ("bool", Dtype("bool")),
        ("uint8", Dtype("uint8")),
        ("int64", Dtype("int64")),
        ("int32", Dtype("int32")),
        ("pi", Const(std::f64::consts::PI)),
        ("inf", Const(f64::INFINITY)),
    ],
    open: true,
    prelude: None,
};

pub static MATH: Module = Module {
    name: "math",
    members: &[
        ("pi", Const(std::f64::consts::PI)),
        ("e", Const(std::f64::consts::E)),
        ("tau", Const(std::f64::consts::TAU)),
        ("inf", Const(f64::INFINITY)),
        ("nan", Const(f64::NAN)),
        ("fabs", B("abs")),
        ("sqrt", B("sqrt")),
        ("exp", B("exp")),
        ("log", B("log")),
        ("tanh", B("tanh")),
        ("pow", B("pow")),
        ("floor", B("floor")),
        ("ceil", B("ceil")),
        ("sin", B("sin")),
        ("cos", B("cos")),
        ("log2", B("log2")),
        ("log10", B("log10")),
        ("isnan", B("isnan")),
        ("isinf", B("isinf")),
    ],
    open: false,
    prelude: None,
};

pub static RANDOM: Module = Module {
    name: "random",
    members: &[
        ("seed", B("random.seed")),
        ("random", B("random.random")),
        ("randint", B("random.randint")),
        ("uniform", B("random.uniform")),
        ("gauss", B("random.gauss")),
        ("normalvariate", B("random.gauss")),
        ("choice", B("random.choice")),
        ("shuffle", B("random.shuffle")),
        ("sample", B("random.sample")),
    ],
    open: false,
    prelude: None,
};

pub static PYPLOT: Module = Module {
    name: "matplotlib.pyplot",
    members: &[
        ("plot", B("plt.plot")),
        ("hist", B("plt.hist")),
        ("title", B("plt.title")),
        ("xlabel", B("plt.xlabel")),
        ("ylabel", B("plt.ylabel")),
        ("legend", B("plt.legend")),
        ("grid", B("plt.grid")),
        ("figure", B("plt.figure")),
        ("show", B("plt.show")),
        ("savefig", B("plt.savefig")),
        ("close", B("plt.close")),
    ],
    open: false,
    prelude: None,
};

pub static MATPLOTLIB: Module = Module {
    name: "matplotlib",
    members: &[("pyplot", Sub(&PYPLOT))],
    open: false,
    prelude: None,
};

pub static TIME: Module = Module {
    name: "time",
    members: &[
        ("time", B("perf_counter")),
        ("perf_counter", B("perf_counter")),
        ("monotonic", B("perf_counter")),
    ],
    open: false,
    prelude: None,
};

pub static COLLECTIONS: Module = Module {
    name: "collections",
    members: &[("OrderedDict", B("dict"))],
    open: false,
    prelude: Some(include_str!("prelude/collections.tsr")),
};

/// Every module an `import` can name.
pub static MODULES: &[&Module] = &[
    &NUMPY,
    &NUMPY_RANDOM,
    &NUMPY_LINALG,
    &TORCH_CUDA,
    &TORCH,
    &TORCH_NN,
    &TORCH_FUNCTIONAL,
    &TORCH_INIT,
    &TORCH_OPTIM,
    &TORCH_LR_SCHEDULER,
    &TORCH_UTILS,
    &TORCH_DATA,
    &MATH,
    &RANDOM,
    &TIME,
    &COLLECTIONS,
    &PYPLOT,
    &MATPLOTLIB,
];

pub fn find_module(name: &str) -> Option<&'static Module> {
    MODULES.iter().copied().find(|m| m.name == name)
}

impl Module {
    /// The value of `module.name`, or `None` when tsr has no such member.
    pub fn member(&'static self, name: &str, builtins: &Builtins) -> Option<Value> {
        if let Some((_, m)) = self.members.iter().find(|(n, _)| *n == name) {
            return match m {
                B(b) => builtins.find(b).map(Value::Builtin),
                Const(c) => Some(Value::Number(*c)),
                Dtype(d) => Some(Value::str(d)),
                NoneConst => Some(Value::None),
                Sub(s) => Some(Value::Module(s)),
            };
        }
        if self.open {
            // PyTorch's in-place spelling `relu_` runs the op; tsr's builtins by name.
            return builtins.find(name).map(Value::Builtin);
        }
        None
    }

    /// Every member name (for did-you-mean and completion).
    pub fn names(&'static self, builtins: &Builtins) -> Vec<String> {
        let mut names: Vec<String> = self.members.iter().map(|(n, _)| n.to_string()).collect();
        if self.open {
            names.extend(builtins.rows.iter().map(|b| b.name.to_string()));
        }
        names
    }
}
