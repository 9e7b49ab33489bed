"""jupyter_kernel_test's suite against the installed tsr kernelspec, with every sample
it supports filled in (run by .ci/run inside its virtual environment)."""

import unittest

import jupyter_kernel_test


class TsrKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "tsr"
    language_name = "tsr"
    file_extension = ".tsr"

    code_hello_world = 'print("hello, world")'
    # log(0) makes -inf from a finite input: a warning, on stderr.
    code_stderr = "warned = log(tensor([0, 1]))"

    completion_samples = [
        {"text": "sigm", "matches": {"sigmoid"}},
        {"text": "x = arang", "matches": {"arange"}},
        {"text": ":he", "matches": {":help"}},
    ]

    complete_code_samples = ["x = 1", "print(1)", "for i in range(3):\n    x = i\n\n", ":vars"]
    incomplete_code_samples = ["for i in range(3):", "x = (1,", "def f(a):\n    return a"]
    invalid_code_samples = ["x = )", "1 +* 2"]

    code_generate_error = "tensor([[1, 2]]) @ tensor([[1, 2]])"

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "ones(2)", "result": "tensor([1., 1.])"},
        {"code": "ones(2, 2)", "mime": "text/html"},
        {"code": '"tsr"', "result": "'tsr'"},
    ]

    code_display_data = [
        {"code": "plot([3, 2, 1.5, 1])", "mime": "image/svg+xml"},
        {"code": "v = 1\n:vars", "mime": "text/html"},
    ]

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "1 + *"

    code_inspect_sample = "relu"


class TsrIopubWelcomeTests(jupyter_kernel_test.IopubWelcomeTests):
    kernel_name = "tsr"
    support_iopub_welcome = True


if __name__ == "__main__":
    unittest.main()
