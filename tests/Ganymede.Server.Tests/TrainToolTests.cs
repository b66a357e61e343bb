using System.Text.Json.Nodes;
using Ganymede.Server.Jobs;

namespace Ganymede.Server.Tests;

/// <summary>The train tool's command line: parameters left out come from the chosen recipe, as on the command line.</summary>
public sealed class TrainToolTests
{
    private static string[] TrainCommand(Dictionary<string, JsonNode?> parameters) => new TrainUnetTool().Commands(new JobContext
    {
        JobId = 1,
        Directory = "/jobs/1",
        Ganymede = ["ganymede"],
        Inputs = new Dictionary<string, IReadOnlyList<StagedInput>> { ["data"] = [new StagedInput("inputs/data.h5", "data.h5", "h5")] },
        Parameters = parameters,
    })[0];

    private static string? Value(string[] command, string option) =>
        Array.IndexOf(command, option) is var i and >= 0 ? command[i + 1] : null;

    [Fact]
    public void The_paper_preset_keeps_its_own_epochs_and_width_unless_they_are_given()
    {
        var paper = TrainCommand(new() { ["preset"] = "paper" });
        Assert.Equal("paper", Value(paper, "--preset"));
        Assert.Null(Value(paper, "--epochs"));
        Assert.Null(Value(paper, "--base"));

        var given = TrainCommand(new() { ["preset"] = "paper", ["epochs"] = 3, ["base"] = 8, ["size"] = 64 });
        Assert.Equal(("3", "8", "64"), (Value(given, "--epochs"), Value(given, "--base"), Value(given, "--size")));
    }
}
