using System.Text.Json;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Streaming;

/// <summary>
/// COMMAND StartStream's JSON: <c>{"Device": "Image_Reference", "Model": "sam-med2d", "Box": [R1,A1,S1,R2,A2,S2],
/// "Points": [[R,A,S,label], ...]}</c>; Box and Points optional (but one of them needed), Model defaults to
/// Streaming:DefaultModel. The box is two opposite RAS corners; its footprint on each frame's plane prompts it.
/// </summary>
public sealed record StartStreamRequest(string Device, string? Model, RoiBox? Box, IReadOnlyList<PromptPoint> Points)
{
    public const int MaxPoints = 64;

    public static StartStreamRequest Parse(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException ex) { throw new FormatException($"StartStream: the content is not JSON ({ex.Message})."); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("StartStream: the content must be a JSON object.");
            string device = Property(root, "Device") is { ValueKind: JsonValueKind.String } d ? d.GetString()! : throw new FormatException("StartStream: \"Device\" (the source's IMAGE device name) is required.");
            if (device.Length is 0 or > 20) throw new FormatException("StartStream: \"Device\" must be 1–20 characters (an OpenIGTLink device name).");
            string? model = Property(root, "Model") is { ValueKind: JsonValueKind.String } m ? m.GetString() : null;
            RoiBox? box = null;
            if (Property(root, "Box") is { ValueKind: JsonValueKind.Array } b)
            {
                var v = Numbers(b, "Box");
                if (v.Length != 6) throw new FormatException("StartStream: \"Box\" must be [R1,A1,S1,R2,A2,S2].");
                box = RoiBox.FromCorners(new Vec3(v[0], v[1], v[2]), new Vec3(v[3], v[4], v[5]));
            }
            var points = new List<PromptPoint>();
            if (Property(root, "Points") is { ValueKind: JsonValueKind.Array } pts)
            {
                if (pts.GetArrayLength() > MaxPoints) throw new FormatException($"StartStream: at most {MaxPoints} points.");
                foreach (var p in pts.EnumerateArray())
                {
                    var v = p.ValueKind == JsonValueKind.Array ? Numbers(p, "Points") : [];
                    if (v.Length is not (3 or 4) || v.Length == 4 && v[3] is not (0 or 1))
                        throw new FormatException("StartStream: each point is [R,A,S] or [R,A,S,label] with label 1 (positive) or 0 (negative).");
                    points.Add(new PromptPoint(new Vec3(v[0], v[1], v[2]), v.Length == 3 || v[3] == 1));
                }
            }
            if (box is null && !points.Any(p => p.Positive)) throw new FormatException("StartStream: give a \"Box\" or at least one positive point.");
            return new StartStreamRequest(device, model, box, points);
        }
    }

    private static JsonElement? Property(JsonElement root, string name)
    {
        foreach (var p in root.EnumerateObject())
            if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return null;
    }

    private static double[] Numbers(JsonElement array, string what)
    {
        if (array.GetArrayLength() > 8) throw new FormatException($"StartStream: \"{what}\" has too many values.");
        var v = array.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetDouble() : double.NaN).ToArray();
        if (v.Any(x => !double.IsFinite(x))) throw new FormatException($"StartStream: \"{what}\" must hold finite numbers.");
        return v;
    }
}
