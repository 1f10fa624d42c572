using System.Diagnostics;
using System.Globalization;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Models.SamMed2D.Pipeline;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Bench.SamMed2D;

/// <summary>
/// SAM-Med2D released configuration (ViT-B with adapters at 256², 271 M parameters) with seeded weights: encoder time
/// per 256×256 frame (pre-processing of a 640×480 frame included) and decoder time per prompt (prompt encoder + mask
/// decoder + multimask choice, and with the post-processing to 640×480), medians, on the device asked for.
/// </summary>
public sealed class SamMed2DBench : IBenchCommand
{
    public string Name => "sam-med2d";
    public string Description => "SAM-Med2D encoder per frame and decoder per prompt with seeded released-size weights: sam-med2d [repeats] [device]";

    public int Run(string[] args)
    {
        int repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var device = ExecutionDevice.Parse(args.Length > 1 ? args[1] : "cpu");
        var config = SamMed2DConfig.Released;
        var sw = Stopwatch.StartNew();
        using var checkpoint = new SeededCheckpoint(SamMed2DCheckpointLayout.Expected(config), 2026);
        using var network = SamMed2DNetwork.Load(checkpoint, config, device);
        double loadMs = sw.Elapsed.TotalMilliseconds;
        var predictor = new SamMed2DPredictor(network);
        const int height = 480, width = 640;
        var rng = new Random(7);
        var frame = new byte[height * width];
        rng.NextBytes(frame);

        var encoder = new List<double>();
        EncodedFrame? encoded = null;
        for (int r = 0; r < repeats + 1; r++)
        {
            sw.Restart();
            encoded = predictor.EncodeGrey(frame, height, width, CancellationToken.None);
            if (r > 0) encoder.Add(sw.Elapsed.TotalMilliseconds);
        }
        var decoder = new List<double>();
        var withPost = new List<double>();
        FramePoint[] clicks = [new(320, 240, true), new(200, 100, false)];
        float[]? mask = null;
        for (int r = 0; r < 4 * repeats + 1; r++)
        {
            var (points, box) = (r % 4) switch
            {
                0 => (clicks[..1], (FrameBox?)null),
                1 => (clicks, null),
                2 => ([], new FrameBox(250, 150, 420, 330)),
                _ => (clicks, new FrameBox(250, 150, 420, 330)),
            };
            var tokens = PromptTransform.Tokens(points, box, height, width, config.ImageSize);
            sw.Restart();
            network.Decode(encoded!.Embedding, tokens, mask ?? []);
            double decodeMs = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            var prediction = predictor.Predict(encoded, points, box, mask);
            double fullMs = sw.Elapsed.TotalMilliseconds;
            if (r > 0)
            {
                decoder.Add(decodeMs);
                withPost.Add(fullMs);
            }
            mask = r % 2 == 0 ? SamMed2DPredictor.MaskPrompt(prediction.LowRes) : null;
        }
        Console.WriteLine($"device: {network.Execution}, {Environment.ProcessorCount} threads");
        Console.WriteLine($"weights: {network.WeightBytes / 1048576.0:F0} MiB, load {loadMs:F0} ms (seeded weights, graphs built, sessions made)");
        Console.WriteLine($"encoder per 256x256 frame (incl. normalise + nearest resize of {width}x{height}): median {Median(encoder):F0} ms, min {encoder.Min():F0} ms over {encoder.Count}");
        Console.WriteLine($"decoder per prompt (prompt encoder + mask decoder, all 4 tokens): median {Median(decoder):F1} ms, min {decoder.Min():F1} ms over {decoder.Count}");
        Console.WriteLine($"decoder + multimask choice + bilinear 64->256->{width}x{height} + threshold: median {Median(withPost):F1} ms");
        Console.WriteLine($"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB");
        return 0;
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
