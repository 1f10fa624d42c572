using System.CommandLine;

namespace SlicerBridge.Host.Cli;

/// <summary>The <c>slicerbridge</c> command line: serve (default), segment, model-run.</summary>
public static class BridgeCli
{
    public static RootCommand Create()
    {
        var root = new RootCommand("SlicerBridge: interactive 3D segmentation server for 3D Slicer (OpenIGTLink)");
        new ServeCommand.ServeOptions().AddTo(root); // no subcommand = serve
        root.Add(ServeCommand.Create());
        root.Add(SegmentCommand.Create());
        // model-run (SAM-Med3D, branch samio) joins here once merged: root.Add(ModelRunCommand.Create());
        return root;
    }
}
