"""The C# kernel against Debian's jupyter_kernel_test (python3-jupyter-kernel-test), every test configured."""
import os

import jupyter_kernel_test

from conftest import install_kernelspec

os.environ["JUPYTER_PATH"] = install_kernelspec()


class GanymedeKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "ganymede"
    language_name = "csharp"
    file_extension = ".cs"

    code_hello_world = 'Console.WriteLine("hello, world");'
    code_stderr = 'Console.Error.WriteLine("some error");'
    completion_samples = [
        {"text": "Console.Wri", "matches": {"Write", "WriteLine"}},
        {"text": "var numbers = new List<int>(); numbers.Ord", "matches": {"Order", "OrderBy", "OrderByDescending", "OrderDescending"}},
    ]
    complete_code_samples = ["var a = 1;", "Console.WriteLine(2);", "int F(int q) => q * 2;"]
    incomplete_code_samples = ["if (true) {", "int F(int q) => q *", "class C {"]
    invalid_code_samples = ["var = ;", "int 1x = 2;"]
    code_generate_error = 'throw new InvalidOperationException("boom");'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"ganymede".ToUpper()', "result": "GANYMEDE"},
    ]
    code_display_data = [
        {"code": 'Display(new Html("<b>bold</b>"));', "mime": "text/html"},
        {"code": "Display(torch.rand(32, 32));", "mime": "image/png"},
        {"code": 'Display(Plot.Line("loss", ("train", new double[] { 3, 2, 1 })));', "mime": "image/svg+xml"},
    ]
    code_inspect_sample = "Console.WriteLine"
    code_clear_output = "ClearOutput();"
    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "6 *"
