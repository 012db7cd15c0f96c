from llmwalls.cli import main

main()
