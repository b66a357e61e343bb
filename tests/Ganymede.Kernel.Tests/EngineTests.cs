using Ganymede.Kernel.Display;
using Ganymede.Kernel.Execution;

namespace Ganymede.Kernel.Tests;

public sealed class EngineTests
{
    private sealed class Sink : IDisplaySink
    {
        public List<(MimeBundle Bundle, string Id, bool Update)> Shown { get; } = [];
        public void Display(MimeBundle bundle, string displayId, bool update) => Shown.Add((bundle, displayId, update));
        public void Clear(bool wait) { }
    }

    [Theory]
    [InlineData("var a = 1;", "complete")]
    [InlineData("if (true) {", "incomplete")]
    [InlineData("int F(int q) => q *", "incomplete")]
    [InlineData("var = ;", "invalid")]
    public void Is_complete(string code, string status) => Assert.Equal(status, CSharpEngine.IsComplete(code));

    [Fact]
    public async Task Cells_share_state_and_the_engine_completes_and_inspects_against_it()
    {
        var sink = new Sink();
        var engine = new CSharpEngine(new KernelGlobals(sink));
        Assert.Empty((await engine.ExecuteAsync("var numbers = new List<int> { 3, 1, 2 };", CancellationToken.None, CancellationToken.None)).Errors);
        var result = await engine.ExecuteAsync("numbers.Sum()", CancellationToken.None, CancellationToken.None);
        Assert.True(result.HasValue);
        Assert.Equal(6, result.Value);
        Assert.Equal(["Order", "OrderBy", "OrderByDescending", "OrderDescending"], engine.Complete("numbers.Ord", 11).Matches);
        Assert.Contains("Console.WriteLine", engine.Inspect("Console.WriteLine", 10));
        // Ganymede's own API comes with its XML documentation.
        Assert.Contains("Lesion metrics of binary masks", engine.Inspect("SegmentationMetrics.Compute", 5));
        await engine.ExecuteAsync("Display(torch.ones(20, 20));", CancellationToken.None, CancellationToken.None);
        Assert.Contains("image/png", sink.Shown.Single().Bundle.Data.Keys);
    }

    [Fact]
    public async Task Every_loop_of_a_cell_can_be_interrupted()
    {
        var rewritten = InterruptRewriter.Rewrite("int n = 0;\nwhile (true)\n    n++;\nfor (;;) { n--; }");
        Assert.Equal(2, rewritten.Split("Interrupts.Check()").Length - 1);
        Assert.Equal(4, rewritten.Split('\n').Length); // lines stay where they were, so errors point at them
        var engine = new CSharpEngine(new KernelGlobals(new Sink()));
        using var interrupt = new CancellationTokenSource();
        // Whenever the interrupt comes (before the loop or during it), the loop's check is what ends the cell.
        interrupt.CancelAfter(TimeSpan.FromMilliseconds(300));
        var result = await engine.ExecuteAsync("long spins = 0;\nwhile (true) { spins++; }", interrupt.Token, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.IsType<OperationCanceledException>(result.Exception);
        // The token belonged to that cell: the next one runs.
        Assert.Equal(2, (await engine.ExecuteAsync("1 + 1", CancellationToken.None, CancellationToken.None)).Value);
    }

    [Fact]
    public void Values_become_mime_bundles()
    {
        Assert.Equal("GANYMEDE", Formatters.Format("GANYMEDE").Data["text/plain"]);
        Assert.Contains("<td>2</td>", Formatters.Format(new[] { new { epoch = 2 } }).Data["text/html"]);
        // A chart comes as SVG and as PNG, so a notebook reopened untrusted still shows it.
        var chart = Formatters.Format(Plot.Line("loss", ("train", [1.0, 0.5]))).Data;
        Assert.Contains("<svg", chart["image/svg+xml"]);
        var png = Ganymede.Formats.Png.PngImage.Decode(Convert.FromBase64String(chart["image/png"]), "chart");
        Assert.Equal((560, 320), (png.Width, png.Height));
        Assert.Contains(png.Samples, v => v < 128); // something was drawn on the white background
        Assert.Contains("tensor [2, 2]", Formatters.Format(torch.ones(2, 2)).Data["text/plain"]);
        Formatters.Register<Version>(v => new MimeBundle().Add("text/markdown", $"**{v}**"));
        Assert.Equal("**1.2**", Formatters.Format(new Version(1, 2)).Data["text/markdown"]);
    }
}
