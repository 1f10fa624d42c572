using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.SamMed3D.Pipeline;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// <c>model-run --model sam-med3d</c>: the network on a ready crop (already normalised) for a click sequence, writing
/// every intermediate the parity fixtures hold (image_embedding.npy, dense_pe.npy, clickK_{sparse,dense,lowres_logits,iou,mask}.npy)
/// plus timings.json. Clicks: the --point options (cumulative, one click each), else the config file's "clicks", else one
/// positive click at the crop centre.
/// </summary>
public static class SamMed3DModelRun
{
    public static string Run(ModelRunRequest request, CancellationToken cancellationToken)
    {
        var execution = ExecutionDevice.Parse(request.Device);
        string configArg = request.Config ?? SamMed3DPresets.Turbo;
        string input = request.Input ?? throw new ArgumentException("sam-med3d model-run needs --input (the crop as .npy).");
        var config = SamMed3DConfig.Resolve(configArg);
        var clicks = request.Points.Count > 0 ? CumulativeClicks(request.Points) : ClicksFromFile(configArg) ?? [[new SamPoint(config.ImageSize / 2, config.ImageSize / 2, config.ImageSize / 2, 1)]];
        var crop = NpyFile.Read(input);
        int s = config.ImageSize;
        if (!crop.Shape.SequenceEqual(new[] { s, s, s }) && !crop.Shape.SequenceEqual(new[] { 1, 1, s, s, s }))
            throw new ArgumentException($"--input '{input}' has shape ({string.Join(",", crop.Shape)}), expected ({s},{s},{s}).");
        Directory.CreateDirectory(request.OutDir);

        var clock = Stopwatch.StartNew();
        using var network = SamMed3DNetwork.Load(request.Checkpoint, config, execution, ModelPrecisionNames.Parse(request.Precision));
        double loadMs = clock.Elapsed.TotalMilliseconds;
        int g = config.Grid, c = config.PromptEmbedDim, r = config.LowResSize;

        clock.Restart();
        var embedding = network.EncodeImage(crop.ToFloat32(), cancellationToken, toHost: true);
        double encoderMs = clock.Elapsed.TotalMilliseconds;
        NpyFile.WriteFloat32(Path.Combine(request.OutDir, "image_embedding.npy"), embedding.Data, c, g, g, g);

        var decoderMs = new List<double>();
        float[] previous = [];
        for (int k = 0; k < clicks.Count; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            clock.Restart();
            var output = network.Decode(embedding, clicks[k], previous, withIntermediates: true, cancellationToken);
            decoderMs.Add(clock.Elapsed.TotalMilliseconds);
            if (k == 0) NpyFile.WriteFloat32(Path.Combine(request.OutDir, "dense_pe.npy"), output.DensePe, c, g, g, g);
            string prefix = Path.Combine(request.OutDir, $"click{k + 1}_");
            NpyFile.WriteFloat32(prefix + "sparse.npy", output.SparseEmbedding, clicks[k].Length + 1, c);
            NpyFile.WriteFloat32(prefix + "dense.npy", output.DenseEmbedding, c, g, g, g);
            NpyFile.WriteFloat32(prefix + "lowres_logits.npy", output.LowResLogits, r, r, r);
            NpyFile.WriteFloat32(prefix + "iou.npy", [output.Iou], 1);
            NpyFile.WriteUInt8(prefix + "mask.npy", LogitUpsampler.ThresholdMask(output.LowResLogits, r, s), s, s, s);
            previous = output.LowResLogits;
        }
        using (var file = File.Create(Path.Combine(request.OutDir, "timings.json")))
        using (var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("device", network.Execution.ToString());
            json.WriteString("precision", network.Precision.Name());
            json.WriteNumber("load_ms", Math.Round(loadMs, 2));
            json.WriteNumber("encoder_ms", Math.Round(encoderMs, 2));
            json.WriteStartArray("decoder_ms");
            foreach (var v in decoderMs) json.WriteNumberValue(Math.Round(v, 3));
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return FormattableString.Invariant($"{clicks.Count} click(s) on {Path.GetFileName(input)} → {request.OutDir} | load {loadMs:0} ms, encoder {encoderMs:0} ms, decoder {string.Join("/", decoderMs.Select(v => v.ToString("0.0", CultureInfo.InvariantCulture)))} ms");
    }

    private static List<SamPoint[]> CumulativeClicks(IReadOnlyList<string> args)
    {
        var all = new List<SamPoint>();
        var result = new List<SamPoint[]>();
        foreach (var a in args)
        {
            var parts = a.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length is not (3 or 4) || !parts.All(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v)))
                throw new ArgumentException($"--point '{a}' must be A0,A1,A2 or A0,A1,A2,label (crop voxel coordinates, label 1 or 0).");
            var v = parts.Select(p => float.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            int label = parts.Length == 4 ? (int)v[3] : 1;
            if (label is not (0 or 1)) throw new ArgumentException($"--point '{a}': label must be 1 (positive) or 0 (negative).");
            all.Add(new SamPoint(v[0], v[1], v[2], label));
            result.Add(all.ToArray());
        }
        return result;
    }

    private static List<SamPoint[]>? ClicksFromFile(string configArg)
    {
        if (!File.Exists(configArg)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(configArg));
        if (!doc.RootElement.TryGetProperty("clicks", out var clicks)) return null;
        var result = new List<SamPoint[]>();
        foreach (var click in clicks.EnumerateArray())
        {
            var pts = click.GetProperty("points").EnumerateArray().Select(p => p.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
            var labels = click.GetProperty("labels").EnumerateArray().Select(x => (int)x.GetSingle()).ToArray();
            if (pts.Length != labels.Length || pts.Any(p => p.Length != 3)) throw new FormatException($"{configArg}: each click needs one label per 3-coordinate point.");
            result.Add(pts.Select((p, i) => new SamPoint(p[0], p[1], p[2], labels[i])).ToArray());
        }
        return result;
    }
}
