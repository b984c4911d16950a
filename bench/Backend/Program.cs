using System.Globalization;
using System.Net;
using System.Text;

// The benchmark's backend: every path answers 200 with a tiny text body, on 127.0.0.1 only.
// Port: the first argument, else BENCH_BACKEND_PORT, else 5080. No logging, so it costs as little as it can.
var port = int.Parse(args.FirstOrDefault() ?? Environment.GetEnvironmentVariable("BENCH_BACKEND_PORT") ?? "5080", CultureInfo.InvariantCulture);
var body = Encoding.ASCII.GetBytes("ok\n");

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));

var app = builder.Build();
app.Run(context =>
{
    context.Response.ContentType = "text/plain";
    context.Response.ContentLength = body.Length;
    return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
});
await app.RunAsync();
