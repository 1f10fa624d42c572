using System.CommandLine;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Cli;

/// <summary>
/// <c>slicerbridge export-onnx --checkpoint P [--model sam-med3d] [--config C] --out DIR</c>: writes the model's ONNX
/// graphs (e.g. encoder.onnx, decoder.onnx), their weights as external data, and manifest.json, for other hosts.
/// Exit codes: 0 written, 1 the checkpoint could not be used, 2 bad usage.
/// </summary>
public static class ExportOnnxCommand
{
    public static Command Create(IReadOnlyList<IModelFactory> factories)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint (.pth or .safetensors)", Required = true };
        var model = new Option<string>("--model") { Description = "Model kind", DefaultValueFactory = _ => "sam-med3d" };
        var config = new Option<string?>("--config") { Description = "Configuration: a preset or a JSON file" };
        var outDir = new Option<string>("--out") { Description = "Folder for the .onnx files, the weights and manifest.json (created if missing)", Required = true };
        var command = new Command("export-onnx", "Write a model's ONNX graphs with external weights and a manifest (Netron, TensorRT, OpenVINO)");
        foreach (var o in new Option[] { checkpoint, model, config, outDir }) command.Add(o);
        command.SetAction((parse, _) => Task.FromResult(Run(factories, parse.GetValue(model) ?? "sam-med3d", parse.GetRequiredValue(checkpoint),
            parse.GetValue(config), parse.GetRequiredValue(outDir), Console.Out, Console.Error)));
        return command;
    }

    public static int Run(IReadOnlyList<IModelFactory> factories, string kind, string checkpoint, string? config, string outDir,
        TextWriter stdout, TextWriter stderr)
    {
        var factory = factories.FirstOrDefault(f => f.Kind.Equals(kind, StringComparison.OrdinalIgnoreCase));
        if (factory is null)
        {
            stderr.WriteLine($"error: unknown model kind '{kind}' (kinds: {string.Join(", ", factories.Select(f => f.Kind))}).");
            return SegmentCommand.ExitUsage;
        }
        if (!File.Exists(checkpoint))
        {
            stderr.WriteLine($"error: --checkpoint '{checkpoint}' does not exist.");
            return SegmentCommand.ExitUsage;
        }
        try
        {
            Directory.CreateDirectory(outDir);
            factory.ExportOnnx(new ModelSpec(kind, kind, checkpoint, config, "cpu"), outDir);
            var files = Directory.GetFiles(outDir).Select(f => new FileInfo(f)).OrderBy(f => f.Name);
            stdout.WriteLine($"{kind} → {outDir}: {string.Join(", ", files.Select(f => $"{f.Name} ({f.Length / 1048576.0:0.#} MiB)"))}");
            return SegmentCommand.ExitOk;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or NotSupportedException)
        {
            stderr.WriteLine($"error: {CliErrors.OneLine(ex.Message)}");
            return SegmentCommand.ExitUsage;
        }
        catch (Exception ex)
        {
            // Bad checkpoints (CliErrors.IsInputProblem) and anything unforeseen alike: one line, no stack trace.
            stderr.WriteLine($"error: {CliErrors.Describe(ex)}");
            return SegmentCommand.ExitFailed;
        }
    }
}
