// Placeholder entry point until the server lands; replaced by the host's composition root.
Console.Error.WriteLine("slicerbridge: not built yet");
return 1;
