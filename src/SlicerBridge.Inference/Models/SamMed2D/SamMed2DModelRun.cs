using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// <c>model-run --model sam-med2d --checkpoint C --config F.json --out-dir D</c>: every case and prompt of F (see
/// <see cref="SamMed2DRunPlan"/>) through the official predictor pipeline, writing the fixture's file names
/// (<c>dense_pe.npy</c>, <c>&lt;case&gt;_input.npy</c>, <c>&lt;case&gt;_embedding.npy</c>, <c>&lt;case&gt;_&lt;prompt&gt;_{sparse,
/// dense,lowres_all,iou_all,lowres,iou,mask,mask_input}.npy</c>), <c>results.json</c> (selected token and IoU per prompt)
/// and <c>timings.json</c>.
/// </summary>
public static class SamMed2DModelRun
{
    public static string Run(ModelRunRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Config))
            throw new ArgumentException("sam-med2d model-run needs --config: a fixture.json-style file whose cases and prompts it runs.");
        if (request.Input is not null || request.Points.Count > 0)
            throw new ArgumentException("sam-med2d model-run takes its images and prompts from --config (cases[].files.image, cases[].prompts); drop --input and --point.");
        var config = SamMed2DConfig.FromFile(request.Config);
        var plan = SamMed2DRunPlan.Read(request.Config);
        Directory.CreateDirectory(request.OutDir);

        var clock = Stopwatch.StartNew();
        using var network = SamMed2DNetwork.Load(request.Checkpoint, config, ExecutionDevice.Parse(request.Device));
        double loadMs = clock.Elapsed.TotalMilliseconds;
        var predictor = new SamMed2DPredictor(network);
        int g = config.Grid, c = config.PromptEmbedDim, r = config.LowResSize, m = config.NumMaskTokens, s = config.ImageSize;
        string Out(string file) => Path.Combine(request.OutDir, file);

        var encoderMs = new List<double>();
        var decoderMs = new List<double>();
        var results = new Dictionary<string, object>();
        bool densePeWritten = false;
        foreach (var run in plan.Cases)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (hwc, height, width) = SamMed2DRunPlan.ReadImage(run.ImagePath);
            clock.Restart();
            var frame = predictor.EncodeHwc(hwc, height, width, cancellationToken);
            encoderMs.Add(clock.Elapsed.TotalMilliseconds);
            NpyFile.WriteFloat32(Out($"{run.Name}_input.npy"), frame.Input, 3, s, s);
            NpyFile.WriteFloat32(Out($"{run.Name}_embedding.npy"), frame.Embedding, c, g, g);

            var lowResById = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var prompt in run.Prompts)
            {
                float[]? maskInput = null;
                if (prompt.MaskInputFrom is { } from)
                {
                    if (!lowResById.TryGetValue(from, out var earlier))
                        throw new ArgumentException($"{run.Name}/{prompt.Id}: mask_input_from '{from}' is not an earlier prompt of the case.");
                    maskInput = SamMed2DPredictor.MaskPrompt(earlier);
                }
                clock.Restart();
                var p = predictor.Predict(frame, prompt.Points, prompt.Box, maskInput, prompt.Multimask, withIntermediates: true, cancellationToken);
                decoderMs.Add(clock.Elapsed.TotalMilliseconds);
                lowResById[prompt.Id] = p.LowRes;
                string prefix = $"{run.Name}_{prompt.Id}_";
                if (!densePeWritten)
                {
                    NpyFile.WriteFloat32(Out("dense_pe.npy"), p.Output.DensePe, c, g, g);
                    densePeWritten = true;
                }
                NpyFile.WriteFloat32(Out(prefix + "sparse.npy"), p.Output.SparseEmbedding, p.Tokens.Length, c);
                NpyFile.WriteFloat32(Out(prefix + "dense.npy"), p.Output.DenseEmbedding, c, g, g);
                NpyFile.WriteFloat32(Out(prefix + "lowres_all.npy"), p.Output.LowResLogits, m, r, r);
                NpyFile.WriteFloat32(Out(prefix + "iou_all.npy"), p.Output.Iou, m);
                NpyFile.WriteFloat32(Out(prefix + "lowres.npy"), p.LowRes, 1, r, r);
                NpyFile.WriteFloat32(Out(prefix + "iou.npy"), [p.Iou], 1);
                NpyFile.WriteUInt8(Out(prefix + "mask.npy"), p.Mask, height, width);
                if (maskInput is not null) NpyFile.WriteFloat32(Out(prefix + "mask_input.npy"), maskInput, 1, r, r);
                results[run.Name + "_" + prompt.Id] = new
                {
                    selected_mask_token = p.SelectedToken,
                    iou_selected = p.Iou,
                    iou_all = p.Output.Iou,
                    model_tokens = p.Tokens.Select(t => new[] { t.X, t.Y, t.Label }).ToArray(),
                    mask_foreground_pixels = p.Mask.Count(v => v != 0),
                };
            }
        }
        var indented = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Out("results.json"), JsonSerializer.Serialize(results, indented));
        File.WriteAllText(Out("timings.json"), JsonSerializer.Serialize(new
        {
            device = network.Execution.ToString(),
            load_ms = Math.Round(loadMs, 2),
            encoder_ms = encoderMs.Select(v => Math.Round(v, 2)),
            decoder_ms = decoderMs.Select(v => Math.Round(v, 3)),
        }, indented));
        int prompts = plan.Cases.Sum(x => x.Prompts.Count);
        return FormattableString.Invariant($"{plan.Cases.Count} case(s), {prompts} prompt(s) → {request.OutDir} | load {loadMs:0} ms, encoder {string.Join("/", encoderMs.Select(v => v.ToString("0", CultureInfo.InvariantCulture)))} ms, decoder median {Median(decoderMs):0.0} ms");
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
