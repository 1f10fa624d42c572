namespace SlicerBridge.Bench;

/// <summary>One benchmark, selected by name on the command line: <c>dotnet run -c Release --project bench/SlicerBridge.Bench -- NAME [args]</c>.</summary>
public interface IBenchCommand
{
    string Name { get; }
    string Description { get; }
    int Run(string[] args);
}
