using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace SlicerBridge.Inference.Onnx;

/// <summary>
/// Named float32 weights for ONNX Runtime sessions, kept out of managed memory: each tensor is written once, as read
/// from the checkpoint, into one weights file, and the graphs declare their initializers as external data in it
/// (offset, length), which the session maps or reads itself. So a checkpoint is never held whole in managed memory,
/// and the same file serves every session of the model and <c>export-onnx</c>.
/// </summary>
/// <remarks>
/// ONNX Runtime 1.31 rejects the lighter ways: an initializer declared without data and supplied with
/// <see cref="SessionOptions.AddInitializer"/> fails validation from 128 bytes up, and in-memory address markers are refused
/// in a model protobuf. A model loaded from bytes finds external files through the session's external-initializers folder.
/// </remarks>
public sealed class WeightSet : IDisposable
{
    private const int Alignment = 64;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly FileStream _file;
    private readonly bool _temporary;

    /// <summary>A weights file of its own in a new temporary folder, deleted with the set.</summary>
    public WeightSet() : this(Directory.CreateTempSubdirectory("slicerbridge-weights-").FullName, "weights.bin", temporary: true) { }

    /// <summary>A weights file at <paramref name="folder"/>/<paramref name="fileName"/> that stays after the set is disposed (export).</summary>
    public WeightSet(string folder, string fileName) : this(folder, fileName, temporary: false) { }

    private WeightSet(string folder, string fileName, bool temporary)
    {
        Folder = folder;
        FileName = fileName;
        _temporary = temporary;
        _file = new FileStream(Path.Combine(folder, fileName), FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
    }

    /// <summary>Folder of the weights file (the sessions' external-initializers folder).</summary>
    public string Folder { get; }

    public string FileName { get; }

    public long Bytes { get; private set; }

    public IEnumerable<string> Names => _entries.Keys;

    public void Add(string name, ReadOnlySpan<float> data, long[] dims)
    {
        if (data.Length != dims.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException($"Weight '{name}': {data.Length} values do not fill [{string.Join(",", dims)}].");
        if (_entries.ContainsKey(name)) throw new ArgumentException($"Weight '{name}' is already in the set.");
        long offset = (_file.Length + Alignment - 1) / Alignment * Alignment;
        _file.Position = offset;
        var bytes = MemoryMarshal.AsBytes(data);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Weights files are little-endian float32.");
        _file.Write(bytes);
        _entries.Add(name, new Entry(offset, bytes.Length, dims));
        Bytes += bytes.Length;
    }

    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The checkpoint shape of a weight.</summary>
    public long[] Dims(string name) => Get(name).Dims;

    /// <summary>
    /// Fixes the shape graphs see the weight with (the same row-major data: a (1,8,8,8,768) table may be seen as
    /// (512,768)); a weight has one such view for all graphs.
    /// </summary>
    public void SetView(string name, long[] dims)
    {
        var e = Get(name);
        if (dims.Aggregate(1L, (a, b) => a * b) * sizeof(float) != e.Length)
            throw new ArgumentException($"Weight '{name}' cannot be seen as [{string.Join(",", dims)}].");
        if (e.View is not null && !e.View.SequenceEqual(dims))
            throw new InvalidOperationException($"Weight '{name}' is already seen as [{string.Join(",", e.View)}].");
        e.View = dims;
    }

    /// <summary>An initializer declaring the weight as external data in the weights file.</summary>
    public TensorProto Declare(string name)
    {
        var e = Get(name);
        _file.Flush();
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.AddRange(e.View ?? e.Dims);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = FileName });
        t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = e.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = e.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return t;
    }

    /// <summary>Reads a weight back (tests, small tables).</summary>
    public float[] Values(string name)
    {
        var e = Get(name);
        var values = new float[e.Length / sizeof(float)];
        _file.Flush();
        RandomAccess.Read(_file.SafeFileHandle, MemoryMarshal.AsBytes(values.AsSpan()), e.Offset);
        return values;
    }

    /// <summary>Points a session at the weights file.</summary>
    public void AddTo(SessionOptions options)
    {
        _file.Flush();
        options.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", Folder);
    }

    private Entry Get(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"No weight named '{name}'.");

    public void Dispose()
    {
        _file.Dispose();
        if (!_temporary) return;
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }                 // still mapped by a session on some systems; the temp folder is the OS's to clear
        catch (UnauthorizedAccessException) { }
    }

    private sealed class Entry(long offset, long length, long[] dims)
    {
        public long Offset { get; } = offset;
        public long Length { get; } = length;
        public long[] Dims { get; } = dims;
        public long[]? View { get; set; }
    }
}
