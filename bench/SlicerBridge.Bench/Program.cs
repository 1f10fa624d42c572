using System.Reflection;
using SlicerBridge.Bench;

// Finds every IBenchCommand in this assembly; each benchmark lives in its own file.
var commands = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IBenchCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBenchCommand)Activator.CreateInstance(t)!)
    .OrderBy(c => c.Name)
    .ToList();

var selected = args.Length > 0 ? commands.FirstOrDefault(c => c.Name == args[0]) : null;
if (selected is null)
{
    Console.Error.WriteLine("usage: SlicerBridge.Bench NAME [args]");
    foreach (var c in commands) Console.Error.WriteLine($"  {c.Name,-20} {c.Description}");
    return args.Length == 0 ? 0 : 2;
}
return selected.Run(args[1..]);
