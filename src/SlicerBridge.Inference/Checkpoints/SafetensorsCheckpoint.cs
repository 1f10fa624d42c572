using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// A <c>.safetensors</c> file: 8-byte little-endian header length, a JSON header (dtype, shape, data_offsets per tensor),
/// then the raw data. Tensors are read with positioned reads straight into the caller's buffer.
/// </summary>
internal sealed class SafetensorsCheckpoint : ICheckpoint
{
    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, (CheckpointTensorInfo Info, long Offset)> _tensors = new(StringComparer.Ordinal);

    public SafetensorsCheckpoint(string path)
    {
        Source = path;
        _handle = File.OpenHandle(path);
        try
        {
            long fileLength = RandomAccess.GetLength(_handle);
            Span<byte> lengthBytes = stackalloc byte[8];
            if (fileLength < 8 || RandomAccess.Read(_handle, lengthBytes, 0) != 8)
                throw new CheckpointException($"{path}: too short for a safetensors header.");
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > 100_000_000 || 8 + (long)headerLength > fileLength)
                throw new CheckpointException($"{path}: safetensors header length {headerLength} does not fit the {fileLength}-byte file.");
            var header = new byte[headerLength];
            RandomAccess.Read(_handle, header, 8);
            long dataStart = 8 + (long)headerLength;
            using var json = ParseJson(header, path);
            var list = new List<CheckpointTensorInfo>();
            foreach (var property in json.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                var (info, begin, end) = ReadEntry(property, path);
                long bytes = info.ElementCount * DTypeConversion.SizeOf(info.DType);
                if (begin < 0 || end < begin || end - begin != bytes || dataStart + end > fileLength)
                    throw new CheckpointException($"{path}: '{property.Name}' data_offsets [{begin},{end}] do not hold its {bytes} bytes inside the file.");
                string name = property.Name.StartsWith("module.", StringComparison.Ordinal) ? property.Name["module.".Length..] : property.Name;
                info = info with { Name = name };
                _tensors[name] = (info, dataStart + begin);
                list.Add(info);
            }
            Tensors = list;
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
            ReadAt(MemoryMarshal.AsBytes(destination), offset, name);
            return;
        }
        var raw = new byte[info.ElementCount * DTypeConversion.SizeOf(info.DType)];
        ReadAt(raw, offset, name);
        DTypeConversion.ToFloat32(info.DType, raw, destination);
    }

    private void ReadAt(Span<byte> target, long offset, string name)
    {
        while (!target.IsEmpty)
        {
            int n = RandomAccess.Read(_handle, target, offset);
            if (n == 0) throw new CheckpointException($"{Source}: '{name}' is truncated.");
            target = target[n..];
            offset += n;
        }
    }

    private (CheckpointTensorInfo Info, long Offset) Get(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new CheckpointException($"{Source}: no tensor named '{name}'.");

    private static JsonDocument ParseJson(byte[] header, string path)
    {
        try { return JsonDocument.Parse(header); }
        catch (JsonException ex) { throw new CheckpointException($"{path}: the safetensors header is not valid JSON ({ex.Message}).", ex); }
    }

    private static (CheckpointTensorInfo, long, long) ReadEntry(JsonProperty p, string path)
    {
        try
        {
            var e = p.Value;
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
                var other => throw new CheckpointException($"{path}: '{p.Name}' has unsupported dtype {other}."),
            };
            var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            if (shape.Any(d => d < 0)) throw new CheckpointException($"{path}: '{p.Name}' has a negative dimension.");
            var offsets = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (offsets.Length != 2) throw new CheckpointException($"{path}: '{p.Name}' data_offsets must have two values.");
            return (new CheckpointTensorInfo(p.Name, dtype, shape), offsets[0], offsets[1]);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"{path}: malformed safetensors entry '{p.Name}' ({ex.Message}).", ex);
        }
    }

    public void Dispose() => _handle.Dispose();
}
