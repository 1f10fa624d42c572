using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// A PyTorch zip checkpoint (torch ≥ 1.6): <c>&lt;root&gt;/data.pkl</c> (read by the restricted unpickler) and one
/// entry <c>&lt;root&gt;/data/&lt;key&gt;</c> per storage, stored or deflated. Tensor bytes are streamed from their
/// entry into the caller's buffer on demand; the archive itself is never loaded whole. Every shape, stride, offset
/// and size is checked (overflow-safe) when the checkpoint is opened; declared sizes are checked before anything is
/// inflated, inflation stops at the declared size, and each entry's CRC-32 is verified.
/// </summary>
internal sealed class TorchZipCheckpoint : ICheckpoint
{
    private const int ConvertChunkElements = 1 << 16;

    private readonly SafeFileHandle _file;
    private readonly CheckpointLimits _limits;
    private readonly Dictionary<string, ZipEntryInfo> _entries;
    private readonly string _root;
    private readonly Dictionary<string, (PickleTensor Tensor, int[] Shape)> _tensors;
    private long _inflated;

    public TorchZipCheckpoint(string path, CheckpointLimits? limits = null)
    {
        Source = path;
        _limits = limits ?? CheckpointLimits.Default;
        _file = File.OpenHandle(path);
        try
        {
            _entries = ZipDirectory.Read(_file, path, _limits);
            var pkl = _entries.Values.Where(IsDataPkl).MinBy(e => e.LocalHeaderOffset)
                ?? throw new CheckpointException($"{path}: no data.pkl in the archive; not a PyTorch zip checkpoint.");
            _root = pkl.Name[..^"data.pkl".Length];
            if (pkl.Size > _limits.MaxPickleBytes)
                throw new CheckpointException($"{path}: data.pkl declares {pkl.Size} bytes, more than {_limits.MaxPickleBytes} (limit MaxPickleBytes).");
            var pickle = new byte[pkl.Size];
            using (var s = OpenEntry(pkl)) s.ReadExactly(pickle);
            var root = new RestrictedUnpickler(pickle, path, _limits).Load();
            var flat = StateDictLayout.Flatten(root, path, _limits);
            _tensors = new Dictionary<string, (PickleTensor, int[])>(flat.Count, StringComparer.Ordinal);
            var list = new List<CheckpointTensorInfo>(flat.Count);
            foreach (var (name, t) in flat)
            {
                var shape = Validate(name, t);
                _tensors[name] = (t, shape);
                list.Add(new CheckpointTensorInfo(name, t.Storage.DType, shape));
            }
            Tensors = list;
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    public string Source { get; }
    public IReadOnlyList<CheckpointTensorInfo> Tensors { get; }
    public bool Contains(string name) => _tensors.ContainsKey(name);
    public int[] GetShape(string name) => Get(name).Shape.ToArray();

    public void ReadFloat32(string name, Span<float> destination)
    {
        var (t, shape) = Get(name);
        long count = ElementCount(shape);
        if (destination.Length != count)
            throw new CheckpointException($"{Source}: '{name}' has {count} elements, the destination holds {destination.Length}.");
        int size = DTypeConversion.SizeOf(t.Storage.DType);
        var entry = _entries.GetValueOrDefault(_root + "data/" + t.Storage.Key)
            ?? throw new CheckpointException($"{Source}: storage entry data/{t.Storage.Key} of '{name}' is missing.");
        long declared = t.Storage.ElementCount * size; // no overflow: checked in Validate
        if (entry.Size < declared)
            throw new CheckpointException($"{Source}: storage data/{t.Storage.Key} holds {entry.Size} bytes, {declared} declared.");
        using var stream = OpenEntry(entry);
        Skip(stream, t.StorageOffset * size);
        if (t.Storage.DType == CheckpointDType.Float32)
            stream.ReadExactly(MemoryMarshal.AsBytes(destination)); // straight into the caller's buffer
        else
        {
            var raw = new byte[(int)Math.Min(count, ConvertChunkElements) * size];
            for (int done = 0; done < destination.Length;)
            {
                int n = Math.Min(destination.Length - done, ConvertChunkElements);
                stream.ReadExactly(raw.AsSpan(0, n * size));
                DTypeConversion.ToFloat32(t.Storage.DType, raw.AsSpan(0, n * size), destination.Slice(done, n));
                done += n;
            }
        }
        stream.Drain();
    }

    private static bool IsDataPkl(ZipEntryInfo e) =>
        e.Name == "data.pkl" || e.Name.EndsWith("/data.pkl", StringComparison.Ordinal) && e.Name.IndexOf('/') == e.Name.Length - "/data.pkl".Length;

    /// <summary>Opens an entry after charging its whole size to the archive's inflation budget.</summary>
    private ZipEntryStream OpenEntry(ZipEntryInfo entry)
    {
        long total = Interlocked.Add(ref _inflated, entry.Size);
        if (total > _limits.MaxTotalInflatedBytes || total < 0)
            throw new CheckpointException($"{Source}: reading '{Text.Clip(entry.Name)}' would inflate more than {_limits.MaxTotalInflatedBytes} bytes from the archive in all (limit MaxTotalInflatedBytes).");
        return ZipEntryStream.Open(_file, entry, Source);
    }

    private (PickleTensor Tensor, int[] Shape) Get(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new CheckpointException($"{Source}: no tensor named '{Text.Clip(name)}'.");

    /// <summary>Checks one tensor's description and returns its shape; every product and sum is overflow-checked.</summary>
    private int[] Validate(string name, PickleTensor t)
    {
        string Describe() => $"'{Text.Clip(name)}' (shape [{Text.Clip(string.Join(",", t.Shape))}], stride [{Text.Clip(string.Join(",", t.Stride))}])";
        if (t.Shape.Length != t.Stride.Length)
            throw new CheckpointException($"{Source}: {Describe()} has {t.Shape.Length} dimensions but {t.Stride.Length} strides.");
        if (t.Shape.Any(d => d < 0 || d > int.MaxValue))
            throw new CheckpointException($"{Source}: {Describe()} has a dimension outside 0..{int.MaxValue}.");
        var shape = t.Shape.Select(d => (int)d).ToArray();
        long count = ElementCount(shape);
        if (count > Array.MaxLength)
            throw new CheckpointException($"{Source}: {Describe()} has more elements than one buffer can hold.");
        long expectedStride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && t.Stride[d] != expectedStride)
                throw new CheckpointException($"{Source}: {Describe()} is not contiguous.");
            expectedStride *= shape[d]; // ≤ count ≤ Array.MaxLength
        }
        int size = DTypeConversion.SizeOf(t.Storage.DType);
        if (t.Storage.ElementCount < 0 || t.Storage.ElementCount > long.MaxValue / size)
            throw new CheckpointException($"{Source}: {Describe()} views a storage of {t.Storage.ElementCount} elements.");
        if (t.StorageOffset < 0 || t.StorageOffset > t.Storage.ElementCount - count)
            throw new CheckpointException($"{Source}: {Describe()} ({count} elements at offset {t.StorageOffset}) overruns its storage of {t.Storage.ElementCount}.");
        return shape;
    }

    /// <summary>Product of the dimensions, or long.MaxValue when it overflows.</summary>
    private static long ElementCount(int[] shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d != 0 && count > long.MaxValue / d) return long.MaxValue;
            count *= d;
        }
        return count;
    }

    private static void Skip(Stream s, long bytes)
    {
        var buffer = new byte[(int)Math.Min(bytes, 1 << 16)];
        while (bytes > 0)
        {
            int n = (int)Math.Min(bytes, buffer.Length);
            s.ReadExactly(buffer, 0, n);
            bytes -= n;
        }
    }

    public void Dispose() => _file.Dispose();
}
