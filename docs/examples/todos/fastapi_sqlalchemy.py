# The same todos service in FastAPI + SQLAlchemy 2.0, written as their tutorials write it, for
# the line count in docs/first-service.md (scripts/check-package compares the two). Not run.
# Its schema would need Alembic besides (alembic init, env.py pointed at Base.metadata).
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings
from sqlalchemy import create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Settings(BaseSettings):
    database_url: str = "sqlite:///./todos.db"


engine = create_engine(Settings().database_url)
SessionLocal = sessionmaker(engine)


class Base(DeclarativeBase):
    pass


class Todo(Base):
    __tablename__ = "todos"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    done: Mapped[bool] = mapped_column(default=False)


class TodoIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    done: bool = False


class TodoPatch(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    done: bool | None = None


class TodoOut(TodoIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


def get_db():
    with SessionLocal() as db:
        yield db


def find(db: Session, id: int) -> Todo:
    found = db.get(Todo, id)
    if found is None:
        raise HTTPException(404, "Todo not found")
    return found


app = FastAPI()


@app.post("/todos", response_model=TodoOut, status_code=201)
def create(todo: TodoIn, db: Session = Depends(get_db)):
    added = Todo(**todo.model_dump())
    db.add(added)
    db.commit()
    db.refresh(added)
    return added


@app.get("/todos", response_model=list[TodoOut])
def list_todos(db: Session = Depends(get_db)):
    return db.scalars(select(Todo).order_by(Todo.id)).all()


@app.get("/todos/{id}", response_model=TodoOut)
def read(id: int, db: Session = Depends(get_db)):
    return find(db, id)


@app.patch("/todos/{id}", response_model=TodoOut)
def patch(id: int, changes: TodoPatch, db: Session = Depends(get_db)):
    found = find(db, id)
    for name, value in changes.model_dump(exclude_unset=True).items():
        setattr(found, name, value)
    db.commit()
    db.refresh(found)
    return found


@app.delete("/todos/{id}", status_code=204)
def delete(id: int, db: Session = Depends(get_db)):
    db.delete(find(db, id))
    db.commit()
