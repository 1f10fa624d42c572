using SlicerBridge.Host.Hosting;
using SlicerBridge.Inference.Onnx;
using System.CommandLine;
using System.Diagnostics;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.GrowCut;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Cli;

/// <summary>
/// <c>slicerbridge segment --input VOL --point R,A,S[,label] ... [--roi ...] [--model growcut|NAME] --output MASK</c>:
/// one offline segmentation with the same models the server uses. Exit codes: 0 done, 1 the input or the
/// model failed (unreadable volume, bad prompt, model unavailable), 2 bad command-line usage, 130 cancelled.
/// </summary>
public static class SegmentCommand
{
    public const int ExitOk = 0, ExitFailed = 1, ExitUsage = 2, ExitCancelled = 130;

    public static Command Create() => Create([]);

    /// <summary>The command with model factories beyond GrowCut (e.g. SAM-Med3D's), which the host passes in.</summary>
    public static Command Create(IEnumerable<IModelFactory> extraFactories)
    {
        var factories = extraFactories.ToList();
        var input = new Option<string>("--input", "-i") { Description = $"Volume to segment ({VolumeFile.SupportedReadExtensions})", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Mask to write (.nii.gz, .nii, .nrrd or .nhdr)", Required = true };
        var points = new Option<string[]>("--point", "-p")
        {
            Description = "A click in RAS mm: R,A,S (positive) or R,A,S,label (1 positive, 0 negative); repeat for more (models that take a box, e.g. sam-med2d, also run from --roi alone)",
        };
        var model = new Option<string>("--model", "-m") { Description = "Model kind: growcut (default), sam-med3d, ct-sam3d or sam-med2d (2-D images); all but growcut need --checkpoint", DefaultValueFactory = _ => "growcut" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint file for models with weights" };
        var config = new Option<string?>("--config") { Description = "Model configuration: a JSON file (GrowCut options; SAM-Med3D config/pipeline) or a preset name (sam-med3d-turbo, sam-med3d-turbo-ct, ct-sam3d-tiny)" };
        var roi = new Option<string?>("--roi") { Description = "Region of interest: two opposite RAS corners R1,A1,S1,R2,A2,S2 (mm)" };
        var precision = new Option<string>("--precision") { Description = "Arithmetic precision of a model with weights: fp32 (default) or fp16 (GPUs)", DefaultValueFactory = _ => "fp32" };
        var device = new Option<string>("--device") { Description = $"Where a model with weights runs: {ExecutionDevice.Syntax}", DefaultValueFactory = _ => "auto" };
        var maxVoxels = new Option<long?>("--max-voxels") { Description = $"Largest volume read, in voxels (default {VolumeReadLimits.Default.MaxVoxels}: 2 GiB of float32)" };

        var command = new Command("segment", "Segment a volume file from clicks and write the mask");
        foreach (var option in new Option[] { input, output, points, model, checkpoint, config, roi, device, precision, maxVoxels }) command.Add(option);
        command.SetAction((parse, cancellationToken) => RunAsync(
            new SegmentArguments(parse.GetRequiredValue(input), parse.GetRequiredValue(output), parse.GetValue(points) ?? [],
                parse.GetValue(model) ?? "growcut", parse.GetValue(checkpoint), parse.GetValue(config), parse.GetValue(roi), parse.GetValue(device) ?? "auto", parse.GetValue(precision) ?? "fp32",
                parse.GetValue(maxVoxels)),
            factories, Console.Out, Console.Error, cancellationToken));
        return command;
    }

    /// <summary>Runs one segmentation; every failure is a message on <paramref name="stderr"/> and a non-zero exit code.</summary>
    public static async Task<int> RunAsync(SegmentArguments arguments, IEnumerable<IModelFactory> extraFactories,
        TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        try
        {
            var plan = Validate(arguments);
            var clock = Stopwatch.StartNew();
            Volume volume = VolumeFile.Read(arguments.Input, plan.Limits);
            double readMs = clock.Elapsed.TotalMilliseconds;

            IModelFactory[] factories = [new GrowCutModelFactory(), .. extraFactories.Where(f => !f.Kind.Equals("growcut", StringComparison.OrdinalIgnoreCase))];
            if (!factories.Any(f => f.Kind.Equals(arguments.Model, StringComparison.OrdinalIgnoreCase)))
                throw new SegmentUsageException($"Unknown model '{arguments.Model}'. Available: {string.Join(", ", factories.Select(f => f.Kind))}.");
            using var registry = new ModelRegistry(factories,
                [new ModelSpec(arguments.Model, arguments.Model, arguments.Checkpoint, arguments.Config, arguments.Device, arguments.Precision)], long.MaxValue);
            using var lease = registry.Acquire(arguments.Model);
            double loadMs = clock.Elapsed.TotalMilliseconds - readMs;
            if (lease.Model.Device != ModelDevices.PlainCpu) stderr.WriteLine($"device: {lease.Model.Device}");

            var bar = new SegmentProgressBar(stderr, arguments.Model);
            SegmentationResult result;
            try
            {
                var request = new SegmentationRequest { Volume = volume, Points = plan.Points, Roi = plan.Roi, Progress = bar };
                result = await Task.Run(() => lease.Model.Segment(request, cancellationToken), cancellationToken);
            }
            finally { bar.Finish(); }

            double writeStart = clock.Elapsed.TotalMilliseconds;
            VolumeFile.WriteMask(arguments.Output, result.Mask, volume.Geometry);
            double writeMs = clock.Elapsed.TotalMilliseconds - writeStart;

            long voxels = result.Mask.LongCount(v => v != 0);
            VolumeGeometry g = volume.Geometry;
            double voxelMl = Math.Abs(g.ColumnI.Dot(g.ColumnJ.Cross(g.ColumnK))) / 1000.0;
            var t = result.Timings;
            stdout.WriteLine(FormattableString.Invariant(
                $"{Path.GetFileName(arguments.Output)}: {voxels} voxels, {voxels * voxelMl:0.###} mL | read {readMs:0} ms, load {loadMs:0} ms, prepare {t.PrepareMs:0.0} ms, infer {t.InferMs:0.0} ms, post {t.PostMs:0.0} ms, write {writeMs:0} ms"));
            return ExitOk;
        }
        catch (SegmentUsageException ex) { return Fail(stderr, ex.Message, ExitUsage); }
        catch (OperationCanceledException) { return Fail(stderr, "cancelled", ExitCancelled); }
        catch (Exception ex)
        {
            // Bad files and models (CliErrors.IsInputProblem) and anything unforeseen alike: one line, no stack trace.
            return Fail(stderr, CliErrors.Describe(ex), ExitFailed);
        }
    }

    private sealed record Plan(IReadOnlyList<PromptPoint> Points, RoiBox? Roi, VolumeReadLimits Limits);

    private static Plan Validate(SegmentArguments a)
    {
        if (string.IsNullOrWhiteSpace(a.Input)) throw new SegmentUsageException("--input is required.");
        if (!VolumeFile.IsSupported(a.Input))
            throw new SegmentUsageException($"--input '{a.Input}': unsupported extension (supported: {VolumeFile.SupportedReadExtensions}).");
        if (!File.Exists(a.Input)) throw new SegmentUsageException($"--input '{a.Input}' does not exist.");
        if (string.IsNullOrWhiteSpace(a.Output)) throw new SegmentUsageException("--output is required.");
        if (!VolumeFile.IsSupported(a.Output))
            throw new SegmentUsageException($"--output '{a.Output}': unsupported extension (supported: {VolumeFile.SupportedWriteExtensions}).");
        string? outputDirectory = Path.GetDirectoryName(Path.GetFullPath(a.Output));
        if (outputDirectory is not null && !Directory.Exists(outputDirectory))
            throw new SegmentUsageException($"--output '{a.Output}': folder '{outputDirectory}' does not exist.");
        if (a.Points.Count == 0 && a.Roi is null) throw new SegmentUsageException("At least one --point (or an --roi) is required.");
        if (a.Checkpoint is not null && !File.Exists(a.Checkpoint)) throw new SegmentUsageException($"--checkpoint '{a.Checkpoint}' does not exist.");
        if (a.Config is not null && ConfigArgument.IsPath(a.Config) && !File.Exists(a.Config)) throw new SegmentUsageException($"--config '{a.Config}' does not exist.");
        try { ExecutionDevice.Parse(a.Device); }
        catch (ArgumentException ex) { throw new SegmentUsageException($"--device: {ex.Message}"); }
        try { ModelPrecisionNames.Parse(a.Precision); }
        catch (ArgumentException ex) { throw new SegmentUsageException($"--precision: {ex.Message}"); }
        if (a.MaxVoxels is < 1) throw new SegmentUsageException($"--max-voxels {a.MaxVoxels} must be positive.");
        var points = a.Points.Select(SegmentArgumentParser.ParsePoint).ToList();
        var limits = a.MaxVoxels is { } max ? VolumeReadLimits.Default with { MaxVoxels = max } : VolumeReadLimits.Default;
        return new Plan(points, a.Roi is null ? null : SegmentArgumentParser.ParseRoi(a.Roi), limits);
    }

    private static int Fail(TextWriter stderr, string message, int code)
    {
        stderr.WriteLine($"error: {CliErrors.OneLine(message)}");
        return code;
    }
}
