using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// A <c>.safetensors</c> file: 8-byte little-endian header length, a JSON header (dtype, shape, data_offsets per tensor),
/// then the raw data. Tensors are read with positioned reads straight into the caller's buffer. The header must be a
/// JSON object of entries whose byte ranges lie inside the file; a later duplicate name replaces an earlier one.
/// </summary>
internal sealed class SafetensorsCheckpoint : ICheckpoint
{
    private const int ConvertChunkElements = 1 << 16;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, (CheckpointTensorInfo Info, long Offset)> _tensors = new(StringComparer.Ordinal);

    public SafetensorsCheckpoint(string path, CheckpointLimits? limits = null)
    {
        limits ??= CheckpointLimits.Default;
        Source = path;
        _handle = File.OpenHandle(path);
        try
        {
            long fileLength = RandomAccess.GetLength(_handle);
            Span<byte> lengthBytes = stackalloc byte[8];
            if (fileLength < 8 || RandomAccess.Read(_handle, lengthBytes, 0) != 8)
                throw new CheckpointException($"{path}: too short for a safetensors header.");
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > (ulong)limits.MaxSafetensorsHeaderBytes || headerLength > (ulong)(fileLength - 8))
                throw new CheckpointException($"{path}: safetensors header length {headerLength} does not fit the {fileLength}-byte file (or exceeds {limits.MaxSafetensorsHeaderBytes}).");
            var header = new byte[headerLength];
            ReadAt(header, 8, "the header");
            long dataStart = 8 + (long)headerLength;
            var order = new List<string>();
            using (var json = ParseJson(header, path))
            {
                if (json.RootElement.ValueKind != JsonValueKind.Object)
                    throw new CheckpointException($"{path}: the safetensors header is a JSON {json.RootElement.ValueKind}, not an object.");
                foreach (var property in json.RootElement.EnumerateObject())
                {
                    string key = PropertyName(property, path);
                    if (key == "__metadata__") continue;
                    var (info, begin, end) = ReadEntry(property.Value, key, path);
                    long bytes = info.ElementCount * DTypeConversion.SizeOf(info.DType); // ElementCount ≤ Array.MaxLength
                    if (begin < 0 || end < begin || end - begin != bytes || end > fileLength - dataStart)
                        throw new CheckpointException($"{path}: '{Text.Clip(key)}' data_offsets [{begin},{end}] do not hold its {bytes} bytes inside the file.");
                    string name = key.StartsWith("module.", StringComparison.Ordinal) ? key["module.".Length..] : key;
                    if (!_tensors.ContainsKey(name)) order.Add(name);
                    _tensors[name] = (info with { Name = name }, dataStart + begin);
                    if (_tensors.Count > limits.MaxTensors)
                        throw new CheckpointException($"{path}: the checkpoint holds more than {limits.MaxTensors} tensors (limit MaxTensors).");
                }
            }
            Tensors = order.Select(n => _tensors[n].Info).ToList();
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
    }

    public string Source { get; }
    public IReadOnlyList<CheckpointTensorInfo> Tensors { get; }
    public bool Contains(string name) => _tensors.ContainsKey(name);
    public int[] GetShape(string name) => Get(name).Info.Shape.ToArray();

    public void ReadFloat32(string name, Span<float> destination)
    {
        var (info, offset) = Get(name);
        if (destination.Length != info.ElementCount)
            throw new CheckpointException($"{Source}: '{name}' has {info.ElementCount} elements, the destination holds {destination.Length}.");
        if (info.DType == CheckpointDType.Float32)
        {
            ReadAt(MemoryMarshal.AsBytes(destination), offset, $"'{name}'");
            return;
        }
        int size = DTypeConversion.SizeOf(info.DType);
        var raw = new byte[Math.Min(destination.Length, ConvertChunkElements) * size];
        for (int done = 0; done < destination.Length;)
        {
            int n = Math.Min(destination.Length - done, ConvertChunkElements);
            ReadAt(raw.AsSpan(0, n * size), offset + (long)done * size, $"'{name}'");
            DTypeConversion.ToFloat32(info.DType, raw.AsSpan(0, n * size), destination.Slice(done, n));
            done += n;
        }
    }

    private void ReadAt(Span<byte> target, long offset, string what)
    {
        while (!target.IsEmpty)
        {
            int n = RandomAccess.Read(_handle, target, offset);
            if (n == 0) throw new CheckpointException($"{Source}: {what} is truncated.");
            target = target[n..];
            offset += n;
        }
    }

    private (CheckpointTensorInfo Info, long Offset) Get(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new CheckpointException($"{Source}: no tensor named '{Text.Clip(name)}'.");

    private static JsonDocument ParseJson(byte[] header, string path)
    {
        try { return JsonDocument.Parse(header); }
        catch (JsonException ex) { throw new CheckpointException($"{path}: the safetensors header is not valid JSON ({Text.Clip(ex.Message, 200)}).", ex); }
    }

    private static string PropertyName(JsonProperty property, string path)
    {
        try { return property.Name; }
        catch (InvalidOperationException ex) { throw new CheckpointException($"{path}: a safetensors header key is not valid UTF-8.", ex); }
    }

    private static (CheckpointTensorInfo, long, long) ReadEntry(JsonElement e, string name, string path)
    {
        string Where() => $"{path}: safetensors entry '{Text.Clip(name)}'";
        try
        {
            if (e.ValueKind != JsonValueKind.Object) throw new CheckpointException($"{Where()} is a JSON {e.ValueKind}, not an object.");
            var dtype = e.GetProperty("dtype").GetString() switch
            {
                "F32" => CheckpointDType.Float32,
                "F16" => CheckpointDType.Float16,
                "BF16" => CheckpointDType.BFloat16,
                "F64" => CheckpointDType.Float64,
                "I64" => CheckpointDType.Int64,
                "I32" => CheckpointDType.Int32,
                "U8" => CheckpointDType.UInt8,
                "BOOL" => CheckpointDType.Bool,
                var other => throw new CheckpointException($"{Where()} has unsupported dtype {Text.Clip(other ?? "null")}."),
            };
            var shapeElement = e.GetProperty("shape");
            if (shapeElement.ValueKind != JsonValueKind.Array || shapeElement.GetArrayLength() > 32)
                throw new CheckpointException($"{Where()}: shape must be an array of at most 32 dimensions.");
            var shape = shapeElement.EnumerateArray().Select(x => x.GetInt32()).ToArray();
            long count = 1;
            foreach (int d in shape)
            {
                if (d < 0) throw new CheckpointException($"{Where()} has a negative dimension.");
                count = d == 0 ? 0 : count > Array.MaxLength / d ? long.MaxValue : count * d;
            }
            if (count > Array.MaxLength) throw new CheckpointException($"{Where()} has more elements than one buffer can hold.");
            var offsetsElement = e.GetProperty("data_offsets");
            if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
                throw new CheckpointException($"{Where()}: data_offsets must have two values.");
            var offsets = offsetsElement.EnumerateArray().Select(x => x.GetInt64()).ToArray();
            return (new CheckpointTensorInfo(name, dtype, shape), offsets[0], offsets[1]);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"{Where()} is malformed ({Text.Clip(ex.Message, 120)}).", ex);
        }
    }

    public void Dispose() => _handle.Dispose();
}
