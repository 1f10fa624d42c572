using System.CommandLine;

namespace SlicerBridge.Host.Cli;

/// <summary>The <c>slicerbridge</c> command line: serve (default), segment, model-run.</summary>
public static class BridgeCli
{
    /// <summary>How long after SIGTERM / Ctrl+C the process may take to stop: longer than the host's shutdown timeout.</summary>
    public static readonly TimeSpan TerminationGrace = TimeSpan.FromSeconds(45);

    public static RootCommand Create()
    {
        var root = new RootCommand("SlicerBridge: interactive 3D segmentation server for 3D Slicer (OpenIGTLink)");
        new ServeCommand.ServeOptions().AddTo(root); // no subcommand = serve
        root.Add(ServeCommand.Create());
        root.Add(SegmentCommand.Create(Hosting.ModelFactories.BuiltIn()));
        root.Add(ModelRunCommand.Create(Hosting.ModelFactories.BuiltIn()));
        root.Add(ExportOnnxCommand.Create(Hosting.ModelFactories.BuiltIn()));
        return root;
    }
}
