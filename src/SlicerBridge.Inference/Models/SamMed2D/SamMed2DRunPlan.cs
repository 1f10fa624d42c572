using System.Text.Json;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.SamMed2D.Pipeline;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// What <c>model-run --model sam-med2d --config F.json</c> runs: F's <c>cases</c> (each an image named in
/// <c>files.image</c>, relative to F's folder, H × W × 3 or H × W uint8 .npy) and each case's <c>prompts</c> (points
/// (x = column, y = row), labels, box [x0, y0, x1, y1], multimask_output, mask_input_from = an earlier prompt's id),
/// as in the fixture's <c>fixture.json</c>.
/// </summary>
public sealed record SamMed2DRunPlan(IReadOnlyList<SamMed2DRunCase> Cases)
{
    /// <summary>Most cases and prompts per case read from a plan (outside data: loops are bounded).</summary>
    public const int MaxCases = 256, MaxPrompts = 256, MaxPoints = 1024;

    public static SamMed2DRunPlan Read(string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        if (!doc.RootElement.TryGetProperty("cases", out var cases) || cases.ValueKind != JsonValueKind.Array)
            throw new ArgumentException($"{path}: no 'cases' array (sam-med2d model-run runs the cases and prompts its config lists).");
        if (cases.GetArrayLength() > MaxCases) throw new ArgumentException($"{path}: more than {MaxCases} cases.");
        var result = new List<SamMed2DRunCase>();
        foreach (var c in cases.EnumerateArray())
        {
            string name = c.GetProperty("name").GetString() ?? throw new FormatException("a case without a name");
            if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains(".."))
                throw new ArgumentException($"{path}: case name '{name}' is not a plain file-name prefix.");
            string image = c.GetProperty("files").GetProperty("image").GetString() ?? throw new FormatException($"case {name}: no files.image");
            var prompts = c.GetProperty("prompts");
            if (prompts.GetArrayLength() > MaxPrompts) throw new ArgumentException($"{path}: case {name} has more than {MaxPrompts} prompts.");
            result.Add(new SamMed2DRunCase(name, Inside(folder, image, path), prompts.EnumerateArray().Select(p => ReadPrompt(p, name, path)).ToList()));
        }
        return new SamMed2DRunPlan(result);
    }

    /// <summary>Reads a case's image as H × W × 3 (grey H × W replicated) uint8.</summary>
    public static (byte[] Hwc, int Height, int Width) ReadImage(string path)
    {
        var array = NpyFile.Read(path);
        if (array.Descr != "|u1") throw new ArgumentException($"{path}: the image must be uint8, got {array.Descr}.");
        if (array.Shape is [int h, int w, 3]) return (array.Data, h, w);
        if (array.Shape is [int gh, int gw])
        {
            var hwc = new byte[(long)gh * gw * 3];
            for (int i = 0; i < gh * gw; i++) hwc[3 * i] = hwc[3 * i + 1] = hwc[3 * i + 2] = array.Data[i];
            return (hwc, gh, gw);
        }
        throw new ArgumentException($"{path}: the image must be H×W×3 or H×W, got ({string.Join(",", array.Shape)}).");
    }

    private static SamMed2DRunPrompt ReadPrompt(JsonElement p, string caseName, string path)
    {
        string id = p.GetProperty("id").GetString() ?? throw new FormatException($"case {caseName}: a prompt without an id");
        if (id.Length == 0 || id.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || id.Contains(".."))
            throw new ArgumentException($"{path}: prompt id '{id}' is not a plain file-name part.");
        var points = new List<FramePoint>();
        if (p.TryGetProperty("point_coords", out var coords) && coords.ValueKind == JsonValueKind.Array)
        {
            var labels = p.GetProperty("point_labels").EnumerateArray().Select(l => l.GetInt32()).ToArray();
            var xy = coords.EnumerateArray().Select(c => c.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            if (xy.Length != labels.Length || xy.Length > MaxPoints || xy.Any(c => c.Length != 2) || labels.Any(l => l is not (0 or 1)))
                throw new ArgumentException($"{path}: {caseName}/{id}: point_coords need one (x, y) per label, labels 1 or 0, at most {MaxPoints}.");
            points.AddRange(xy.Select((c, i) => new FramePoint(c[0], c[1], labels[i] == 1)));
        }
        FrameBox? box = null;
        if (p.TryGetProperty("box", out var b) && b.ValueKind == JsonValueKind.Array)
        {
            var v = b.EnumerateArray().Select(x => x.GetDouble()).ToArray();
            if (v.Length != 4) throw new ArgumentException($"{path}: {caseName}/{id}: box must be [x0, y0, x1, y1].");
            box = new FrameBox(v[0], v[1], v[2], v[3]);
        }
        string? maskFrom = p.TryGetProperty("mask_input_from", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        bool multimask = !p.TryGetProperty("multimask_output", out var mm) || mm.GetBoolean();
        return new SamMed2DRunPrompt(id, points, box, maskFrom, multimask);
    }

    /// <summary>A path from inside the config, resolved against its folder; it may not leave it.</summary>
    private static string Inside(string folder, string relative, string configPath)
    {
        string full = Path.GetFullPath(Path.Combine(folder, relative));
        if (Path.IsPathRooted(relative) || !full.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"{configPath}: image '{relative}' is not inside the config's folder.");
        return full;
    }
}

public sealed record SamMed2DRunCase(string Name, string ImagePath, IReadOnlyList<SamMed2DRunPrompt> Prompts);

public sealed record SamMed2DRunPrompt(string Id, IReadOnlyList<FramePoint> Points, FrameBox? Box, string? MaskInputFrom, bool Multimask);
