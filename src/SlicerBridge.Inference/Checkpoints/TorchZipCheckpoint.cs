using System.IO.Compression;
using System.Runtime.InteropServices;

namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// A PyTorch zip checkpoint (torch ≥ 1.6): <c>&lt;root&gt;/data.pkl</c> (read by the restricted unpickler) and one
/// entry <c>&lt;root&gt;/data/&lt;key&gt;</c> per storage, stored or deflated. Tensor bytes are streamed from their
/// entry into the caller's buffer on demand; the archive itself is never loaded whole.
/// </summary>
internal sealed class TorchZipCheckpoint : ICheckpoint
{
    private readonly FileStream _file;
    private readonly ZipArchive _zip;
    private readonly string _root;
    private readonly Dictionary<string, PickleTensor> _tensors;
    private readonly object _gate = new();

    public TorchZipCheckpoint(string path)
    {
        Source = path;
        _file = File.OpenRead(path);
        try
        {
            _zip = new ZipArchive(_file, ZipArchiveMode.Read, leaveOpen: false);
            var pkl = _zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl")
                ?? throw new CheckpointException($"{path}: no data.pkl in the archive; not a PyTorch zip checkpoint.");
            _root = pkl.FullName[..^"data.pkl".Length];
            byte[] pickle;
            using (var s = pkl.Open())
            using (var ms = new MemoryStream())
            {
                s.CopyTo(ms);
                pickle = ms.ToArray();
            }
            var root = new RestrictedUnpickler(pickle, path).Load();
            _tensors = StateDictLayout.Flatten(root, path);
            Tensors = _tensors.Select(kv => new CheckpointTensorInfo(kv.Key, kv.Value.Storage.DType, kv.Value.Shape)).ToList();
            foreach (var (name, t) in _tensors) Validate(name, t);
        }
        catch (InvalidDataException ex)
        {
            _file.Dispose();
            throw new CheckpointException($"{path}: not a readable zip archive ({ex.Message}).", ex);
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
        var t = Get(name);
        long count = t.Shape.Aggregate(1L, (a, b) => a * b);
        if (destination.Length != count)
            throw new CheckpointException($"{Source}: '{name}' has {count} elements, the destination holds {destination.Length}.");
        int size = DTypeConversion.SizeOf(t.Storage.DType);
        lock (_gate)
        {
            var entry = _zip.GetEntry(_root + "data/" + t.Storage.Key)
                ?? throw new CheckpointException($"{Source}: storage entry data/{t.Storage.Key} of '{name}' is missing.");
            if (entry.Length < t.Storage.ElementCount * size)
                throw new CheckpointException($"{Source}: storage data/{t.Storage.Key} holds {entry.Length} bytes, {t.Storage.ElementCount * size} declared.");
            using var stream = entry.Open();
            SkipExactly(stream, t.StorageOffset * size, name);
            if (t.Storage.DType == CheckpointDType.Float32)
                ReadExactly(stream, MemoryMarshal.AsBytes(destination), name); // straight into the caller's buffer
            else
            {
                var raw = new byte[count * size];
                ReadExactly(stream, raw, name);
                DTypeConversion.ToFloat32(t.Storage.DType, raw, destination);
            }
        }
    }

    private PickleTensor Get(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new CheckpointException($"{Source}: no tensor named '{name}'.");

    private void Validate(string name, PickleTensor t)
    {
        long count = t.Shape.Aggregate(1L, (a, b) => a * b);
        long expectedStride = 1;
        for (int d = t.Shape.Length - 1; d >= 0; d--)
        {
            if (t.Shape[d] != 1 && t.Stride[d] != expectedStride)
                throw new CheckpointException($"{Source}: '{name}' is not contiguous (shape [{string.Join(",", t.Shape)}], stride [{string.Join(",", t.Stride)}]).");
            expectedStride *= t.Shape[d];
        }
        if (t.StorageOffset < 0 || t.StorageOffset + count > t.Storage.ElementCount)
            throw new CheckpointException($"{Source}: '{name}' ({count} elements at offset {t.StorageOffset}) overruns its storage of {t.Storage.ElementCount}.");
    }

    private void SkipExactly(Stream s, long bytes, string name)
    {
        var buffer = new byte[Math.Min(bytes, 1 << 16)];
        while (bytes > 0)
        {
            int n = s.Read(buffer, 0, (int)Math.Min(bytes, buffer.Length));
            if (n == 0) throw new CheckpointException($"{Source}: storage of '{name}' ends early.");
            bytes -= n;
        }
    }

    private void ReadExactly(Stream s, Span<byte> target, string name)
    {
        try
        {
            s.ReadExactly(target);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
        {
            throw new CheckpointException($"{Source}: storage of '{name}' is truncated or corrupt ({ex.Message}).", ex);
        }
    }

    public void Dispose()
    {
        _zip.Dispose();
        _file.Dispose();
    }
}
