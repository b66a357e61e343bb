using System.Text.Json.Nodes;
using Ganymede.Scripting;

namespace Ganymede.Kernel.Tests;

/// <summary>papermill's convention in C# notebooks: a run's values come after the cell tagged "parameters", in its defaults' types.</summary>
public sealed class NotebookParametersTests
{
    private static string Notebook(bool tagged) => new JsonObject
    {
        ["cells"] = new JsonArray(
            new JsonObject { ["cell_type"] = "code", ["metadata"] = new JsonObject { ["tags"] = new JsonArray(tagged ? "parameters" : "other") }, ["source"] = "int epochs = 3;\nfloat lr = 0.1f;\nstring name = \"a\";" },
            new JsonObject { ["cell_type"] = "code", ["metadata"] = new JsonObject(), ["source"] = "var summary = $\"{epochs} {lr} {name} {sizes.Length}\";" }),
    }.ToJsonString();

    private static async Task<string> RunAsync(ScriptSource.Code code, JsonObject values, List<string> notes)
    {
        var session = new ScriptSession(new ScriptGlobals { Parameters = values });
        await session.RunScriptAsync(code, notes);
        return (string)session.Variables.Last(v => v.Name == "summary").Value!;
    }

    [Fact]
    public async Task Values_replace_the_defaults_in_the_defaults_types_and_new_names_get_their_own()
    {
        var notes = new List<string>();
        var values = new JsonObject { ["epochs"] = "5", ["lr"] = 0.01, ["name"] = "b\"c", ["sizes"] = new JsonArray(16, 32), ["not-a-name"] = 1 };
        Assert.Equal("5 0.01 b\"c 2", await RunAsync(ScriptSource.FromNotebook(Notebook(tagged: true), "train.ipynb"), values, notes));
        Assert.Equal(["parameter 'not-a-name' is not a C# name; the notebook reads it with Parameter<T>(\"not-a-name\", fallback)"], notes);
    }

    [Fact]
    public async Task Without_a_parameters_cell_the_values_come_first_and_the_notebook_sets_its_own()
    {
        var code = ScriptSource.FromNotebook(Notebook(tagged: false), "train.ipynb");
        Assert.Equal("", code.Head);
        var notes = new List<string>();
        Assert.Equal("3 0.1 a 1", await RunAsync(code, new JsonObject { ["epochs"] = 5, ["sizes"] = new JsonArray(8) }, notes));
        Assert.Equal(["train.ipynb has no cell tagged 'parameters': the values are set before its first cell"], notes);
    }

    [Theory]
    [InlineData("2.5", "parameter 'epochs': 2.5 is not an int, the type its default has in the notebook")]
    [InlineData("\"many\"", "parameter 'epochs': \"many\" is not an int, the type its default has in the notebook")]
    [InlineData("[1, 2]", "parameter 'epochs': [1,2] is not an int, the type its default has in the notebook")]
    public async Task A_value_that_does_not_fit_its_default_is_refused_with_the_reason(string value, string message)
    {
        var session = new ScriptSession(new ScriptGlobals());
        await session.RunAsync("int epochs = 3;");
        var e = Assert.Throws<InvalidDataException>(() => NotebookParameters.Code("train.ipynb", new JsonObject { ["epochs"] = JsonNode.Parse(value) }, session.Variables, []));
        Assert.Equal(message, e.Message);
    }
}
