using System.CommandLine;
using System.Text.Json;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Host.Cli;

/// <summary>
/// <c>slicerbridge model-run [--model sam-med3d] --checkpoint P [--config FIXTURE.json|PRESET] [--input X.npy] --out-dir D
/// [--point ...] [--device D]</c>: runs a model's network on prepared inputs and writes every intermediate under its
/// parity fixture's file names plus timings.json (reproducibility, parity checks). What the inputs are is the model
/// family's (<see cref="IModelFactory.RunNetwork"/>). Exit codes: 0 done, 1 the input or the model failed, 2 bad usage.
/// </summary>
public static class ModelRunCommand
{
    public static Command Create(IReadOnlyList<IModelFactory> factories)
    {
        var model = new Option<string>("--model") { Description = "Model kind", DefaultValueFactory = _ => "sam-med3d" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint (.pth or .safetensors)", Required = true };
        var config = new Option<string?>("--config") { Description = "Configuration: fixture.json-style file or preset" };
        var input = new Option<string?>("--input") { Description = "Prepared input (sam-med3d: the crop as .npy, float32 S×S×S, axis 2 fastest, already normalised)" };
        var outDir = new Option<string>("--out-dir") { Description = "Folder for the outputs (created if missing)", Required = true };
        var points = new Option<string[]>("--point") { Description = "A click in the input's voxel coordinates, e.g. A0,A1,A2[,label] (label 1 positive, 0 negative); each adds one cumulative click" };
        var precision = new Option<string>("--precision") { Description = "fp32 (default) or fp16", DefaultValueFactory = _ => "fp32" };
        var device = new Option<string>("--device") { Description = $"Where the model runs: {ExecutionDevice.Syntax}", DefaultValueFactory = _ => "auto" };
        var command = new Command("model-run", "Run a model's network on prepared inputs and write every intermediate (reproducibility, parity checks)");
        foreach (var o in new Option[] { model, checkpoint, config, input, outDir, points, device, precision }) command.Add(o);
        command.SetAction((parse, ct) => Task.FromResult(Run(factories, parse.GetValue(model) ?? "sam-med3d",
            new ModelRunRequest(parse.GetRequiredValue(checkpoint), parse.GetValue(config), parse.GetValue(input), parse.GetRequiredValue(outDir),
                parse.GetValue(points) ?? [], parse.GetValue(device) ?? "auto", parse.GetValue(precision) ?? "fp32"),
            Console.Out, Console.Error, ct)));
        return command;
    }

    public static int Run(IReadOnlyList<IModelFactory> factories, string kind, ModelRunRequest request, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken)
    {
        var factory = factories.FirstOrDefault(f => f.Kind.Equals(kind, StringComparison.OrdinalIgnoreCase));
        if (factory is null)
        {
            stderr.WriteLine($"error: unknown model kind '{kind}' (kinds: {string.Join(", ", factories.Select(f => f.Kind))}).");
            return SegmentCommand.ExitUsage;
        }
        try
        {
            stdout.WriteLine(factory.RunNetwork(request, cancellationToken));
            return SegmentCommand.ExitOk;
        }
        catch (OperationCanceledException) { stderr.WriteLine("error: cancelled"); return SegmentCommand.ExitCancelled; }
        catch (Exception ex)
        {
            // Bad files and models (CliErrors.IsInputProblem) and anything unforeseen alike: one line, no stack trace.
            stderr.WriteLine($"error: {CliErrors.Describe(ex)}");
            return ex is ArgumentException or FormatException or NotSupportedException ? SegmentCommand.ExitUsage : SegmentCommand.ExitFailed;
        }
    }
}
