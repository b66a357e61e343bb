using System.CommandLine;
using Ganymede.Segmentation;

namespace Ganymede.Cli.Commands;

/// <summary>`ganymede export`: a checkpoint (best.safetensors, last.safetensors, or a train --out .safetensors) to ONNX.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "a Ganymede checkpoint (.safetensors)", Required = true };
        var output = new Option<string>("--out") { Description = "the ONNX file to write", Required = true };
        var opset = new Option<int>("--opset") { Description = "ONNX opset, 13 to 17", DefaultValueFactory = _ => 17 };
        var probabilities = new Option<bool>("--probabilities") { Description = "end the graph with a sigmoid (probabilities instead of logits)" };
        var command = new Command("export", "Convert a saved checkpoint to an ONNX model.") { checkpoint, output, opset, probabilities };
        command.SetAction(result => Cli.Run(() =>
        {
            ModelExport.ToOnnx(result.GetValue(checkpoint)!, result.GetValue(output)!, result.GetValue(opset), result.GetValue(probabilities));
            Console.WriteLine($"wrote {result.GetValue(output)}");
        }));
        return command;
    }
}
