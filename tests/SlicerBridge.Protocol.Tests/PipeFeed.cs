using System.IO.Pipelines;
using SlicerBridge.Protocol;

namespace SlicerBridge.Protocol.Tests;

/// <summary>
/// Feeds bytes through a real Pipe in small writes while an <see cref="IgtlMessageReader"/> reads the other end.
/// Each result is a message or a framing-intact protocol exception (reading goes on after it); anything else
/// propagates. The Pipe's writer pauses at its threshold, so a reader that buffered a whole large body would hang
/// (and the 20 s guard fails the test).
/// </summary>
internal static class PipeFeed
{
    public static async Task<List<object>> ReadAllAsync(byte[] bytes, IgtlReaderOptions? options = null, int chunk = 1000, PipeOptions? pipeOptions = null)
    {
        var pipe = new Pipe(pipeOptions ?? PipeOptions.Default);
        var writing = Task.Run(async () =>
        {
            for (int i = 0; i < bytes.Length; i += chunk)
                await pipe.Writer.WriteAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)));
            await pipe.Writer.CompleteAsync();
        });
        var reader = new IgtlMessageReader(pipe.Reader, options);
        var results = new List<object>();
        try
        {
            while (true)
            {
                try
                {
                    if (await reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)) is not { } m) break;
                    results.Add(m);
                }
                catch (IgtlProtocolException e) when (e.FramingIntact)
                {
                    results.Add(e);
                }
            }
        }
        finally
        {
            await pipe.Reader.CompleteAsync();
            await writing.WaitAsync(TimeSpan.FromSeconds(20));
        }
        return results;
    }
}
