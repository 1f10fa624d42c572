using System.IO.Compression;
using System.Text;

namespace SlicerBridge.Inference.Tests.SamMed2D;

/// <summary>
/// The released SAM-Med2D format pickles the optimizer next to the weights, which the checkpoint reader refuses today
/// (see SamMed2DCheckpointTests.ReleasedFormatLoadsThroughTheCheckpointReader); tests read this model-only copy meanwhile.
/// </summary>
public static class ModelOnlyCheckpoint
{
    /// <summary>
    /// A copy of a torch zip checkpoint whose data.pkl keeps only the top-level dict's first entry ('model'): the pickle
    /// is cut where the 'optimizer' key starts and closed with SETITEMS, STOP. Every other entry is copied unchanged.
    /// </summary>
    public static string Write(string source, string target)
    {
        byte[] optimizerKey = [(byte)'X', 9, 0, 0, 0, .. Encoding.ASCII.GetBytes("optimizer")];
        using var input = ZipFile.OpenRead(source);
        using (var output = ZipFile.Open(target, ZipArchiveMode.Create))
            foreach (var entry in input.Entries)
            {
                using var from = entry.Open();
                using var buffer = new MemoryStream();
                from.CopyTo(buffer);
                var bytes = buffer.ToArray();
                if (entry.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                {
                    int cut = bytes.AsSpan().LastIndexOf(optimizerKey);
                    if (cut < 0) throw new InvalidOperationException($"{source}: no 'optimizer' entry to cut.");
                    bytes = [.. bytes.AsSpan(0, cut), (byte)'u', (byte)'.'];
                }
                using var to = output.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                to.Write(bytes);
            }
        return target;
    }

}
