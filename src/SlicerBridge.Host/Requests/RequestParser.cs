using System.Text.Json;
using SlicerBridge.Host.Streaming;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Requests;

/// <summary>Parses a COMMAND's name and JSON content into a <see cref="SessionRequest"/>; every problem is a <see cref="MalformedRequestException"/>.</summary>
public static class RequestParser
{
    public static readonly IReadOnlyList<string> Names =
        ["Segment", "SetRoi", "SetModel", "SetTarget", "Undo", "Reset", "ListModels", "GetStatus", "StartStream", "StopStream"];

    /// <summary>The OpenIGTLink header's device name field (bytes, UTF-8).</summary>
    public const int MaxDeviceNameBytes = 20;

    public static SessionRequest Parse(string name, string content)
    {
        if (!Names.Contains(name, StringComparer.Ordinal))
            throw new MalformedRequestException($"Unknown command '{name}'. Known commands: {string.Join(", ", Names)}.");
        if (name == "StartStream") return ParseStartStream(content);
        using var doc = ParseJson(name, content);
        JsonElement root = doc.RootElement;
        return name switch
        {
            "Segment" => new SegmentRequest(OptString(root, "volume"), OptString(root, "model"), OptPoints(root),
                root.TryGetProperty("roi", out var roi) && roi.ValueKind != JsonValueKind.Null ? ParseRoi(roi, "roi") : null,
                OptDeviceName(root, "output"), OptString(root, "requestId")),
            "SetRoi" => new SetRoiRequest(OptString(root, "volume"),
                root.TryGetProperty("clear", out var clear) && clear.ValueKind == JsonValueKind.True || !root.TryGetProperty("center", out _)
                    ? null : ParseRoi(root, "content")),
            "SetModel" => new SetModelRequest(OptString(root, "model") ?? throw new MalformedRequestException("SetModel needs {\"model\": \"name\"}.")),
            "SetTarget" => new SetTargetRequest(OptString(root, "volume") ?? throw new MalformedRequestException("SetTarget needs {\"volume\": \"name\"}.")),
            "Undo" => new UndoRequest(OptString(root, "volume")),
            "Reset" => new ResetRequest(OptString(root, "volume")),
            "ListModels" => new ListModelsRequest(),
            "StopStream" => new StopStreamCommand(),
            _ => new GetStatusRequest(),
        };
    }

    /// <summary>StartStream keeps its own JSON shape (docs/live-2d.md), read by <see cref="StartStreamRequest.Parse"/>.</summary>
    private static StartStreamCommand ParseStartStream(string content)
    {
        try { return new StartStreamCommand(StartStreamRequest.Parse(string.IsNullOrWhiteSpace(content) ? "{}" : content)); }
        catch (FormatException ex) { throw new MalformedRequestException(ex.Message); }
    }

    private static JsonDocument ParseJson(string name, string content)
    {
        if (string.IsNullOrWhiteSpace(content)) content = "{}";
        JsonDocument doc;
        try { doc = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException ex) { throw new MalformedRequestException($"{name}: content is not valid JSON ({ex.Message})."); }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = doc.RootElement.ValueKind;
            doc.Dispose();
            throw new MalformedRequestException($"{name}: content must be a JSON object, got {kind}.");
        }
        return doc;
    }

    private static string? OptString(JsonElement obj, string field)
    {
        if (!obj.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw new MalformedRequestException($"'{field}' must be a string, got {v.ValueKind}.");
        string s = v.GetString()!;
        return s.Length == 0 ? throw new MalformedRequestException($"'{field}' must not be empty.") : s;
    }

    /// <summary>An optional string used as an OpenIGTLink device name: at most 20 UTF-8 bytes, never silently truncated.</summary>
    private static string? OptDeviceName(JsonElement obj, string field)
    {
        string? name = OptString(obj, field);
        if (name is null) return null;
        int bytes = System.Text.Encoding.UTF8.GetByteCount(name);
        return bytes <= MaxDeviceNameBytes ? name
            : throw new MalformedRequestException($"'{field}' \"{name}\" is {bytes} bytes; OpenIGTLink device names hold at most {MaxDeviceNameBytes} bytes.");
    }

    private static List<PromptPoint>? OptPoints(JsonElement obj)
    {
        if (!obj.TryGetProperty("points", out var arr) || arr.ValueKind == JsonValueKind.Null) return null;
        if (arr.ValueKind != JsonValueKind.Array) throw new MalformedRequestException("'points' must be an array of {\"ras\": [r,a,s], \"label\": 0|1}.");
        var points = new List<PromptPoint>();
        int n = 0;
        foreach (var p in arr.EnumerateArray())
        {
            if (p.ValueKind != JsonValueKind.Object || !p.TryGetProperty("ras", out var ras))
                throw new MalformedRequestException($"points[{n}] must be an object with \"ras\": [r,a,s].");
            Vec3 at = ReadVec(ras, $"points[{n}].ras");
            bool positive = true;
            if (p.TryGetProperty("label", out var label))
            {
                if (label.ValueKind != JsonValueKind.Number || !label.TryGetInt32(out int l) || l is not (0 or 1))
                    throw new MalformedRequestException($"points[{n}].label must be 0 (negative) or 1 (positive).");
                positive = l == 1;
            }
            points.Add(new PromptPoint(at, positive));
            n++;
        }
        return points;
    }

    private static RoiBox ParseRoi(JsonElement roi, string what)
    {
        if (roi.ValueKind != JsonValueKind.Object) throw new MalformedRequestException($"{what} must be an object with center and size.");
        if (!roi.TryGetProperty("center", out var c) || !roi.TryGetProperty("size", out var s))
            throw new MalformedRequestException($"{what} needs \"center\": [r,a,s] and \"size\": [x,y,z] (mm).");
        Vec3 center = ReadVec(c, "roi.center"), size = ReadVec(s, "roi.size");
        if (size.X <= 0 || size.Y <= 0 || size.Z <= 0) throw new MalformedRequestException($"roi.size must be positive on every axis, got {size}.");
        if (!roi.TryGetProperty("axes", out var axes) || axes.ValueKind == JsonValueKind.Null) return RoiBox.AxisAligned(center, size);
        if (axes.ValueKind != JsonValueKind.Array || axes.GetArrayLength() != 3)
            throw new MalformedRequestException("roi.axes must be three [x,y,z] vectors.");
        var a = axes.EnumerateArray().Select((e, i) => ReadVec(e, $"roi.axes[{i}]")).ToArray();
        for (int i = 0; i < 3; i++)
        {
            double len = a[i].Length;
            if (len < 1e-9) throw new MalformedRequestException($"roi.axes[{i}] has zero length.");
            a[i] *= 1 / len;
        }
        if (Math.Abs(a[0].Dot(a[1])) > 1e-3 || Math.Abs(a[0].Dot(a[2])) > 1e-3 || Math.Abs(a[1].Dot(a[2])) > 1e-3)
            throw new MalformedRequestException("roi.axes must be orthogonal.");
        return new RoiBox(center, size, a[0], a[1], a[2]);
    }

    private static Vec3 ReadVec(JsonElement e, string what)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != 3 || e.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number))
            throw new MalformedRequestException($"{what} must be an array of 3 numbers.");
        var v = e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var vec = new Vec3(v[0], v[1], v[2]);
        return vec.IsFinite ? vec : throw new MalformedRequestException($"{what} must be finite, got {vec}.");
    }
}
