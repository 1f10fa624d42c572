using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.CtSam3D.Pipeline;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// <c>model-run --model ct-sam3d</c>: the network on a ready 64³ patch for a click sequence, writing every array the
/// parity fixture holds under its names (enc_feat0..3.npy, dbg_stem_out.npy, dbg_click1_*.npy,
/// clickK_{clickmap,prob,mask,iou}.npy, cpp_heatmap.npy) plus timings.json.
/// --input is <c>PATCH.npy[,NEIGHBOUR.npy]</c>: float32 patches are taken as normalised, int16 ones as HU (clipped and
/// scaled here); the neighbour, when given and the checkpoint has the cross-patch network, gets the heatmap predicted
/// from the patch and its last mask. Clicks: the --point options (x,y,z[,label], cumulative), else the configuration
/// file's "clicks" (points_xyz, labels), else one positive click at the patch centre.
/// </summary>
public static class CtSam3DModelRun
{
    public static string Run(ModelRunRequest request, CancellationToken cancellationToken)
    {
        var device = ExecutionDevice.Parse(request.Device);
        string configArg = request.Config ?? CtSam3DPresets.Tiny;
        var (config, pipeline) = CtSam3DPresets.Resolve(configArg);
        string inputArg = request.Input ?? throw new ArgumentException("ct-sam3d model-run needs --input (the 64³ patch as .npy[,the neighbour patch]).");
        var inputs = inputArg.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (inputs.Length is not (1 or 2)) throw new ArgumentException("--input takes PATCH.npy or PATCH.npy,NEIGHBOUR.npy.");
        int s = config.ImageSize;
        var patch = ReadPatch(inputs[0], s, pipeline);
        var neighbour = inputs.Length == 2 ? ReadPatch(inputs[1], s, pipeline) : null;
        var clicks = request.Points.Count > 0 ? CumulativeClicks(request.Points) : ClicksFromFile(configArg) ?? [[new CtSamClick(s / 2, s / 2, s / 2, 1)]];
        Directory.CreateDirectory(request.OutDir);
        string Out(string name) => Path.Combine(request.OutDir, name);

        var clock = Stopwatch.StartNew();
        using var network = CtSam3DNetwork.Load(request.Checkpoint, config, device);
        double loadMs = clock.Elapsed.TotalMilliseconds;
        if (neighbour is not null && !network.HasCrossPatch) throw new ArgumentException("A neighbour patch was given, but the checkpoint has no cross-patch network (cpp_predictor.*).");

        clock.Restart();
        var features = network.EncodePatch(patch, cancellationToken, withStem: true);
        double encoderMs = clock.Elapsed.TotalMilliseconds;
        for (int k = 0; k < 4; k++)
        {
            int d = config.StageGrid(k);
            NpyFile.WriteFloat32(Out($"enc_feat{k}.npy"), features.Maps[k], config.MapperChans[k], d, d, d);
        }
        int g = config.StageGrid(0);
        NpyFile.WriteFloat32(Out("dbg_stem_out.npy"), features.Stem, config.EmbedDims[0], g, g, g);

        var decoderMs = new List<double>();
        float[] previous = [];
        byte[] mask = [];
        for (int k = 0; k < clicks.Count; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            clock.Restart();
            var output = network.Decode(features, clicks[k], previous, withIntermediates: k == 0, cancellationToken);
            decoderMs.Add(clock.Elapsed.TotalMilliseconds);
            if (k == 0)
                for (int i = 0; i < SpadeDecoder.IntermediateNames.Length; i++)
                {
                    var (ch, n) = CtSam3DGraphs.IntermediateShape(config, i);
                    NpyFile.WriteFloat32(Out($"dbg_click1_{SpadeDecoder.IntermediateNames[i]}.npy"), output.Intermediates![SpadeDecoder.IntermediateNames[i]], ch, n, n, n);
                }
            string prefix = $"click{k + 1}_";
            mask = output.Mask();
            NpyFile.WriteFloat32(Out(prefix + "clickmap.npy"), output.ClickMaps, 2, s, s, s);
            NpyFile.WriteFloat32(Out(prefix + "prob.npy"), output.Probability, s, s, s);
            NpyFile.WriteUInt8(Out(prefix + "mask.npy"), mask, s, s, s);
            NpyFile.WriteFloat32(Out(prefix + "iou.npy"), [output.Iou], 1, 1);
            previous = output.Probability;
        }
        double? cppMs = null;
        if (neighbour is not null)
        {
            clock.Restart();
            var heatmap = network.CrossPatchHeatmap(patch, mask, neighbour, cancellationToken);
            cppMs = clock.Elapsed.TotalMilliseconds;
            NpyFile.WriteFloat32(Out("cpp_heatmap.npy"), heatmap, s, s, s);
        }
        using (var file = File.Create(Out("timings.json")))
        using (var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("device", network.Execution.ToString());
            json.WriteNumber("load_ms", Math.Round(loadMs, 2));
            json.WriteNumber("encoder_ms", Math.Round(encoderMs, 2));
            json.WriteStartArray("decoder_ms");
            foreach (var v in decoderMs) json.WriteNumberValue(Math.Round(v, 3));
            json.WriteEndArray();
            if (cppMs is { } c) json.WriteNumber("cpp_ms", Math.Round(c, 2));
            json.WriteEndObject();
        }
        string decoders = string.Join("/", decoderMs.Select(v => v.ToString("0.0", CultureInfo.InvariantCulture)));
        string cpp = cppMs is { } m ? FormattableString.Invariant($", cross-patch {m:0} ms") : "";
        return FormattableString.Invariant($"{clicks.Count} click(s) on {Path.GetFileName(inputs[0])} → {request.OutDir} | load {loadMs:0} ms, encoder {encoderMs:0} ms, decoder {decoders} ms{cpp}");
    }

    private static float[] ReadPatch(string path, int size, CtSam3DPipelineOptions pipeline)
    {
        var array = NpyFile.Read(path);
        if (!array.Shape.SequenceEqual([size, size, size]) && !array.Shape.SequenceEqual([1, 1, size, size, size]))
            throw new ArgumentException($"--input '{path}' has shape ({string.Join(",", array.Shape)}), expected ({size},{size},{size}).");
        var values = array.ToFloat32();
        return array.Descr.Contains('f', StringComparison.Ordinal) ? values : CtPatch.Normalise(values, pipeline.WindowMin, pipeline.WindowMax);
    }

    private static List<CtSamClick[]> CumulativeClicks(IReadOnlyList<string> args)
    {
        var all = new List<CtSamClick>();
        var result = new List<CtSamClick[]>();
        foreach (var a in args)
        {
            var parts = a.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length is not (3 or 4) || !parts.All(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v)))
                throw new ArgumentException($"--point '{a}' must be x,y,z or x,y,z,label (patch voxel coordinates, label 1 or 0).");
            var v = parts.Select(p => float.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            int label = parts.Length == 4 ? (int)v[3] : 1;
            if (label is not (0 or 1)) throw new ArgumentException($"--point '{a}': label must be 1 (positive) or 0 (negative).");
            all.Add(new CtSamClick(v[0], v[1], v[2], label));
            result.Add(all.ToArray());
        }
        return result;
    }

    private static List<CtSamClick[]>? ClicksFromFile(string configArg)
    {
        if (!File.Exists(configArg)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(configArg));
        if (!doc.RootElement.TryGetProperty("clicks", out var clicks)) return null;
        var result = new List<CtSamClick[]>();
        foreach (var click in clicks.EnumerateArray().Take(256))
        {
            var pts = click.GetProperty("points_xyz").EnumerateArray().Select(p => p.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
            var labels = click.GetProperty("labels").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            if (pts.Length != labels.Length || pts.Any(p => p.Length != 3)) throw new FormatException($"{configArg}: each click needs one label per (x, y, z) point.");
            result.Add(pts.Select((p, i) => new CtSamClick(p[0], p[1], p[2], labels[i])).ToArray());
        }
        return result;
    }
}
